/**
 * A Marathon simulator on Bun.serve (127.0.0.1 only), built to the shapes in
 * test/fixtures/marathon: REST (apps, tasks, leader, info, event subscriptions), the SSE event
 * stream, callbacks, auth, leader redirects and injected failures. Tests drive it through
 * control methods; `bun test/support/marathon-sim.ts --port 8080 --sample` runs it for a demo.
 */
import type { Server } from "bun";
import { SimEventHub } from "./marathon-sim-events.ts";
import { validateAppId } from "./marathon-sim-ids.ts";
import { SimModel, type DeploySpec, type SimApp, type SimHealthCheck, type SimNetworking, type SimTask } from "./marathon-sim-model.ts";

export type { DeploySpec, SimNetworking, SimTask } from "./marathon-sim-model.ts";

export interface SimOptions {
  /** 0 (default) picks a free port; read it from {@link MarathonSim.port}. */
  readonly port?: number;
  /** Bare-CRLF keep-alive interval on event streams; Marathon uses 10 s. 0 disables. */
  readonly heartbeatMs?: number;
  /** Require HTTP basic auth on /v2 (Marathon's --http_credentials). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
  /** Require DC/OS `Authorization: token=<token>` on /v2. */
  readonly token?: string;
  /** Act as a non-leader: /v2/events redirects to this leader; REST is proxied (default) or redirected. */
  readonly followerOf?: MarathonSim;
  readonly followerRest?: "proxy" | "redirect";
}

/** One request as the simulator saw it. */
export interface SimRequest {
  readonly method: string;
  readonly path: string;
  readonly search: string;
  readonly headers: Readonly<Record<string, string>>;
}

export class MarathonSim {
  readonly #options: SimOptions;
  readonly #hub: SimEventHub;
  readonly #model: SimModel;
  #server: Server<undefined> | null = null;
  #port = 0;
  #failNext = { count: 0, status: 502 };
  #failAll: number | null = null;
  #hang: { on: boolean; release: Array<() => void> } = { on: false, release: [] };
  readonly #counts = new Map<string, number>();
  /** Every /v2 request, oldest first. */
  readonly requestLog: SimRequest[] = [];

  private constructor(options: SimOptions) {
    this.#options = options;
    this.#hub = new SimEventHub(options.heartbeatMs ?? 10_000);
    this.#model = new SimModel((type, body) => this.#hub.publish(type, body));
  }

  static async start(options: SimOptions = {}): Promise<MarathonSim> {
    const sim = new MarathonSim(options);
    sim.#listen(options.port ?? 0);
    return sim;
  }

  get port(): number {
    return this.#port;
  }

  /** Base URL, e.g. http://127.0.0.1:38211 (what MARATHON_ENDPOINT would say). */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  // ---- control: apps and tasks -------------------------------------------------------------

  /** Creates or updates an app with real task servers; Marathon's events follow. */
  async deployApp(spec: DeploySpec): Promise<SimTask[]> {
    const checked = validateAppId(spec.id);
    if ("error" in checked) throw new Error(checked.error);
    const app = await this.#model.deploy({ ...spec, id: checked.id });
    return [...app.tasks.values()];
  }

  async scale(id: string, instances: number): Promise<SimTask[]> {
    await this.#model.scale(id, instances);
    return this.tasks(id);
  }

  /** Emits TASK_KILLING (the task stays listed as killing for `graceMs`), then stops its server and emits TASK_KILLED. */
  killTask(taskId: string, options: { graceMs?: number } = {}): Promise<void> {
    return this.#model.kill(taskId, options.graceMs ?? 0);
  }

  removeApp(id: string): Promise<boolean> {
    return this.#model.remove(id);
  }

  setHealth(taskId: string, alive: boolean): void {
    this.#model.setHealth(taskId, alive);
  }

  /** While on, answers carry no healthCheckResults at all, as right after a leader failover. */
  hideHealthResults(on: boolean): void {
    this.#model.hideHealthResults = on;
  }

  tasks(appId: string): SimTask[] {
    return [...(this.#model.get(appId)?.tasks.values() ?? [])];
  }

  /** Sends any event, e.g. one bamboo must ignore. */
  emit(eventType: string, body: Record<string, unknown> = {}): void {
    this.#hub.publish(eventType, body);
  }

  // ---- control: faults ---------------------------------------------------------------------

  /** Closes every event stream. */
  dropStreams(): void {
    this.#hub.dropStreams();
  }

  /** Open event streams stay open but go silent for good (heartbeats too). */
  stallStreams(): void {
    this.#hub.stallStreams();
  }

  /** The next `n` /v2 requests answer `status` (502: Marathon without a leader). */
  failNext(n: number, status = 502): void {
    this.#failNext = { count: n, status };
  }

  /** Every /v2 request answers `status` until called with null. */
  failAll(status: number | null): void {
    this.#failAll = status;
  }

  /** While on, /v2 requests get no answer at all (for timeouts); off releases them. */
  hangRequests(on: boolean): void {
    this.#hang.on = on;
    if (!on) for (const release of this.#hang.release.splice(0)) release();
  }

  /** Stops listening and starts again on the same port; tasks keep running, streams are cut. */
  async restart(): Promise<void> {
    this.#hub.dropStreams();
    await this.#server?.stop(true);
    this.#listen(this.#port);
  }

  // ---- observation -------------------------------------------------------------------------

  /** Requests seen for a path, e.g. `requests("/v2/events")`. */
  requests(path: string): number {
    return this.#counts.get(path) ?? 0;
  }

  get openStreams(): number {
    return this.#hub.openStreams;
  }

  get subscribers(): string[] {
    return this.#hub.subscribers;
  }

  /** Heartbeat rounds sent so far. */
  get heartbeats(): number {
    return this.#hub.heartbeats;
  }

  get callbackDeliveries(): number {
    return this.#hub.callbackDeliveries;
  }

  async stop(): Promise<void> {
    this.hangRequests(false);
    this.#hub.close();
    await this.#server?.stop(true);
    this.#server = null;
    await this.#model.stopAll();
  }

  // ---- HTTP --------------------------------------------------------------------------------

  #listen(port: number): void {
    // idleTimeout 0: an event stream may legitimately carry nothing for longer than Bun's 10 s default.
    this.#server = Bun.serve({ hostname: "127.0.0.1", port, idleTimeout: 0, fetch: (request) => this.#handle(request) });
    this.#port = this.#server.port ?? port;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    this.#counts.set(path, (this.#counts.get(path) ?? 0) + 1);
    if (path === "/ping") return new Response("pong");
    // Outside /v2 Marathon's web server answers a plain page, not Marathon's JSON error.
    if (!path.startsWith("/v2/")) return new Response("<html><body>Not Found</body></html>", { status: 404, headers: { "Content-Type": "text/html" } });
    this.requestLog.push({ method: request.method, path, search: url.search, headers: headerRecord(request.headers) });
    if (!this.#authorised(request)) {
      return json(401, { message: "Invalid username or password." }, { "WWW-Authenticate": 'Basic realm="Mesosphere Marathon"' });
    }
    if (this.#hang.on) await new Promise<void>((resolve) => this.#hang.release.push(resolve));
    const failure = this.#failAll ?? (this.#failNext.count > 0 ? (this.#failNext.count--, this.#failNext.status) : null);
    if (failure !== null) return json(failure, { message: failure === 502 ? "Could not determine the current leader" : "injected failure" });
    const leader = this.#options.followerOf;
    if (leader !== undefined) return this.#asFollower(request, url, leader);
    return this.#route(request, url);
  }

  #authorised(request: Request): boolean {
    const header = request.headers.get("authorization") ?? "";
    const { basicAuth, token } = this.#options;
    if (token !== undefined) return header === `token=${token}`;
    if (basicAuth !== undefined) return header === `Basic ${btoa(`${basicAuth.user}:${basicAuth.password}`)}`;
    return true;
  }

  /** A non-leader redirects the event stream to the leader and proxies (or redirects) everything else. */
  async #asFollower(request: Request, url: URL, leader: MarathonSim): Promise<Response> {
    const target = `${leader.url}${url.pathname}${url.search}`;
    if (url.pathname === "/v2/events" || this.#options.followerRest === "redirect") {
      return new Response(null, { status: 307, headers: { Location: target, "X-Marathon-Leader": leader.url } });
    }
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.text();
    const proxied = await fetch(target, { method: request.method, headers: request.headers, body, redirect: "manual" });
    const headers = new Headers(proxied.headers);
    headers.set("X-Marathon-Leader", leader.url);
    headers.delete("content-encoding");
    headers.delete("content-length");
    return new Response(await proxied.arrayBuffer(), { status: proxied.status, headers });
  }

  async #route(request: Request, url: URL): Promise<Response> {
    const path = url.pathname.replace(/\/+$/, "");
    const method = request.method;
    const embed = new Set(url.searchParams.getAll("embed"));
    if (path === "/v2/events" && method === "GET") return this.#events(request, url);
    if (path === "/v2/leader") return json(200, { leader: `127.0.0.1:${this.#port}` }, this.#leaderHeader());
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
    if (pathId !== null && def.id !== undefined && validateAppId(def.id) && (validateAppId(def.id) as { id?: string }).id !== pathId) {
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
    return { "X-Marathon-Leader": this.url };
  }

  #info(): Record<string, unknown> {
    return {
      name: "marathon",
      version: "1.5.0-sim",
      buildref: "simulator",
      elected: true,
      leader: `127.0.0.1:${this.#port}`,
      frameworkId: "sim-framework-0000",
      marathon_config: { hostname: "127.0.0.1", ha: true, http_port: this.#port },
      http_config: { http_port: this.#port, https_port: 0 },
      event_subscriber: { type: "http_callback", http_endpoints: this.#hub.subscribers },
    };
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    return null;
  }
}

function headerRecord(headers: Headers): Record<string, string> {
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

/** The demo's apps: a plain host app, a health-checked bridge app and an IP-per-task app. */
export const SAMPLE_APPS: readonly DeploySpec[] = [
  { id: "/demo/hello", instances: 2, networking: "host" },
  { id: "/demo/api", instances: 3, networking: "bridge", healthChecks: [{ protocol: "HTTP", path: "/health", portIndex: 0 }] },
  { id: "/shop/web", instances: 1, networking: "container", labels: { team: "shop" } },
];

async function main(argv: readonly string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = Number(arg("--port") ?? "8080");
  const user = arg("--user");
  const sim = await MarathonSim.start({
    port,
    heartbeatMs: Number(arg("--heartbeat-ms") ?? "10000"),
    basicAuth: user === undefined ? undefined : { user, password: arg("--password") ?? "" },
    token: arg("--token"),
  });
  console.log(`marathon simulator listening on ${sim.url}`);
  if (argv.includes("--sample")) {
    for (const spec of SAMPLE_APPS) {
      const tasks = await sim.deployApp(spec);
      console.log(`${spec.id} (${spec.networking}): ${tasks.map((t) => `${t.listenIp}:${t.port}`).join(" ")}`);
    }
  }
  const shutdown = async () => {
    await sim.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

if (import.meta.main) await main(process.argv.slice(2));
