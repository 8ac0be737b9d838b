/**
 * The simulator's REST and event-stream routes: Marathon's answers in Marathon's shapes,
 * including its 404, 409 and 422 bodies, so clients are tested against realistic errors.
 */
import type { SimEventHub } from "./marathon-sim-events.ts";
import { validateAppId } from "./marathon-sim-ids.ts";
import type { DeploySpec, SimApp, SimHealthCheck, SimModel, SimNetworking } from "./marathon-sim-model.ts";

/** Answers every /v2 request a leader answers itself (faults, auth and follower mode are handled before). */
export class SimRestApi {
  readonly #model: SimModel;
  readonly #hub: SimEventHub;
  readonly #self: { readonly url: string; readonly port: number };

  constructor(model: SimModel, hub: SimEventHub, self: { readonly url: string; readonly port: number }) {
    this.#model = model;
    this.#hub = hub;
    this.#self = self;
  }

  /** Answers one /v2 request. */
  async route(request: Request, url: URL): Promise<Response> {
    const path = url.pathname.replace(/\/+$/, "");
    const method = request.method;
    const embed = new Set(url.searchParams.getAll("embed"));
    if (path === "/v2/events" && method === "GET") return this.#events(request, url);
    if (path === "/v2/leader") return json(200, { leader: `127.0.0.1:${this.#self.port}` }, this.#leaderHeader());
    if (path === "/v2/info") return json(200, this.#info(), this.#leaderHeader());
    if (path === "/v2/tasks" && method === "GET") {
      const tasks = this.#model.apps().flatMap((app) => [...app.tasks.values()].map((t) => this.#model.taskJson(t, app)));
      return json(200, { tasks }, this.#leaderHeader());
    }
    if (path === "/v2/eventSubscriptions") return this.#subscriptions(method, url);
    if (path === "/v2/apps" && method === "GET") {
      const apps = this.#model.apps().map((a) => this.#model.appJson(a, embed.has("apps.tasks"), { deployments: embed.has("apps.deployments"), readiness: embed.has("apps.readiness") }));
      return json(200, { apps }, this.#leaderHeader());
    }
    if (path === "/v2/apps" && method === "POST") return this.#upsert(await readJson(request), null, true);
    if (path.startsWith("/v2/apps/")) {
      const rest = decodeURIComponent(path.slice("/v2/apps".length));
      if (rest.endsWith("/tasks") && method === "GET") {
        const app = this.#model.get(rest.slice(0, -"/tasks".length));
        if (!app) return json(404, { message: `App '${rest.slice(0, -6)}' does not exist` });
        return json(200, { tasks: [...app.tasks.values()].map((t) => this.#model.taskJson(t, app)) }, this.#leaderHeader());
      }
      const checked = validateAppId(rest);
      if ("error" in checked) return json(422, { message: "Object is not valid", details: [{ path: "/id", errors: [checked.error] }] });
      const app = this.#model.get(checked.id);
      if (method === "GET") {
        if (!app) return json(404, { message: `App '${checked.id}' does not exist` });
        // A single app embeds tasks and deployments unless the caller chose other embeds.
        const tasks = embed.size === 0 || embed.has("app.tasks");
        return json(200, { app: this.#model.appJson(app, tasks, { deployments: embed.size === 0 || embed.has("app.deployments"), readiness: embed.has("app.readiness") }) }, this.#leaderHeader());
      }
      if (method === "PUT") return this.#upsert(await readJson(request), checked.id, false);
      if (method === "DELETE") {
        if (!(await this.#model.remove(checked.id))) return json(404, { message: `App '${checked.id}' does not exist` });
        return json(200, deployment(), this.#leaderHeader());
      }
    }
    return json(404, { message: `no route for ${method} ${url.pathname}` });
  }

  async #upsert(body: unknown, pathId: string | null, create: boolean): Promise<Response> {
    if (typeof body !== "object" || body === null) return json(400, { message: "Invalid JSON" });
    const def = body as Record<string, unknown>;
    const checked = validateAppId(pathId ?? def.id);
    if ("error" in checked) return json(422, { message: "Object is not valid", details: [{ path: "/id", errors: [checked.error] }] });
    const bodyId = def.id === undefined ? null : validateAppId(def.id);
    if (pathId !== null && bodyId !== null && (!("id" in bodyId) || bodyId.id !== pathId)) {
      return json(422, { message: "Object is not valid", details: [{ path: "/id", errors: ["id in the body does not match the URL"] }] });
    }
    const existing = this.#model.get(checked.id);
    if (create && existing) return json(409, { message: `An app with id [${checked.id}] already exists.` });
    const instances = typeof def.instances === "number" ? def.instances : (existing?.instances ?? 1);
    const spec: DeploySpec = {
      id: checked.id,
      instances,
      networking: existing?.networking ?? networkingOf(def),
      healthChecks: Array.isArray(def.healthChecks) ? (def.healthChecks as SimHealthCheck[]) : undefined,
      env: isStringMap(def.env) ? def.env : undefined,
      labels: isStringMap(def.labels) ? def.labels : undefined,
    };
    const app: SimApp = await this.#model.deploy(spec);
    if (create) return json(201, { ...this.#model.appJson(app, true), deployments: [{ id: crypto.randomUUID() }] }, this.#leaderHeader());
    return json(200, deployment(), this.#leaderHeader());
  }

  #events(request: Request, url: URL): Response {
    // Marathon serves the stream only to clients that ask for exactly this media type.
    if (request.headers.get("accept") !== "text/event-stream") {
      return json(405, { message: "HTTP 405 Method Not Allowed: send Accept: text/event-stream" });
    }
    const body = this.#hub.open(url.searchParams.getAll("event_type"), "127.0.0.1");
    return new Response(body, { headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", ...this.#leaderHeader() } });
  }

  #subscriptions(method: string, url: URL): Response {
    const callbackUrl = url.searchParams.get("callbackUrl") ?? "";
    if (method === "GET") return json(200, { callbackUrls: this.#hub.subscribers }, this.#leaderHeader());
    if (callbackUrl === "") return json(400, { message: "callbackUrl is required" });
    if (method === "POST") {
      this.#hub.subscribe(callbackUrl);
      this.#hub.publish("subscribe_event", { clientIp: "127.0.0.1", callbackUrl });
      return json(200, { callbackUrl, clientIp: "127.0.0.1", eventType: "subscribe_event", timestamp: new Date().toISOString() }, this.#leaderHeader());
    }
    if (method === "DELETE") {
      this.#hub.unsubscribe(callbackUrl);
      this.#hub.publish("unsubscribe_event", { clientIp: "127.0.0.1", callbackUrl });
      return json(200, { callbackUrl, clientIp: "127.0.0.1", eventType: "unsubscribe_event", timestamp: new Date().toISOString() }, this.#leaderHeader());
    }
    return json(405, { message: `${method} not allowed` });
  }

  #leaderHeader(): Record<string, string> {
    return { "X-Marathon-Leader": this.#self.url };
  }

  #info(): Record<string, unknown> {
    return {
      name: "marathon",
      version: "1.5.0-sim",
      buildref: "simulator",
      elected: true,
      leader: `127.0.0.1:${this.#self.port}`,
      frameworkId: "sim-framework-0000",
      marathon_config: { hostname: "127.0.0.1", ha: true, http_port: this.#self.port },
      http_config: { http_port: this.#self.port, https_port: 0 },
      event_subscriber: { type: "http_callback", http_endpoints: this.#hub.subscribers },
    };
  }
}

/** A JSON answer, as Marathon sends every answer and error. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    return null;
  }
}

/** Request headers as a plain record, for the request log. */
export function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function deployment(): Record<string, unknown> {
  return { deploymentId: crypto.randomUUID(), version: new Date().toISOString() };
}

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && Object.values(value).every((v) => typeof v === "string");
}

/** The networking a posted Marathon definition asks for, in either format. */
function networkingOf(def: Record<string, unknown>): SimNetworking {
  const networks = Array.isArray(def.networks) ? (def.networks as Array<{ mode?: string }>) : [];
  const mode = networks[0]?.mode;
  if (mode === "container/bridge") return "bridge";
  if (mode === "container") return "container";
  const docker = (def.container as { docker?: { network?: string } } | undefined)?.docker;
  if (docker?.network === "BRIDGE") return "bridge";
  if (docker?.network === "USER") return "container";
  return "host";
}
