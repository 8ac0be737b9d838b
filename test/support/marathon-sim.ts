/**
 * A Marathon simulator on Bun.serve (127.0.0.1 only), built to the shapes in
 * test/fixtures/marathon: REST (apps, tasks, leader, info, event subscriptions), the SSE event
 * stream, callbacks, auth, leader redirects and injected failures. Tests drive it through
 * control methods; `bun test/support/marathon-sim.ts --port 8080 --sample` runs it for a demo.
 */
import type { Server } from "bun";
import { SimEventHub } from "./marathon-sim-events.ts";
import { validateAppId } from "./marathon-sim-ids.ts";
import { SimModel, type DeploySpec, type KillOptions, type SimTask } from "./marathon-sim-model.ts";
import { headerRecord, json, SimRestApi } from "./marathon-sim-rest.ts";

export type { DeploySpec, KillOptions, SimNetworking, SimPortSpec, SimTask } from "./marathon-sim-model.ts";

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
  readonly #rest: SimRestApi;
  #server: Server<undefined> | null = null;
  #port = 0;
  #failNext = { count: 0, status: 502 };
  #failAll: number | null = null;
  #hang: { on: boolean; release: Array<() => void> } = { on: false, release: [] };
  #appListOverride: unknown = null;
  readonly #counts = new Map<string, number>();
  /** Every /v2 request, oldest first. */
  readonly requestLog: SimRequest[] = [];

  private constructor(options: SimOptions) {
    this.#options = options;
    this.#hub = new SimEventHub(options.heartbeatMs ?? 10_000);
    this.#model = new SimModel((type, body) => this.#hub.publish(type, body));
    // The routes read the port lazily: it is known only once listening, and survives restart().
    const self = this;
    this.#rest = new SimRestApi(this.#model, this.#hub, {
      get url() {
        return self.url;
      },
      get port() {
        return self.port;
      },
    });
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

  /** Events sent since the start (stream and callbacks alike). */
  get eventsPublished(): number {
    return this.#hub.published;
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

  /**
   * Emits TASK_KILLING (the task stays listed as killing for `graceMs`), then stops its servers
   * and closes their connections, or with `silent` leaves its TCP connections open and mute, and
   * emits TASK_KILLED.
   */
  killTask(taskId: string, options: KillOptions = {}): Promise<void> {
    return this.#model.kill(taskId, options);
  }

  removeApp(id: string): Promise<boolean> {
    return this.#model.remove(id);
  }

  setHealth(taskId: string, alive: boolean): void {
    this.#model.setHealth(taskId, alive);
  }

  /** Every task of the app answers `status` (e.g. 500) except on its health path, which keeps its health. */
  setAnswerStatus(appId: string, status: number): void {
    this.#model.setAnswerStatus(appId, status);
  }

  /** While on, answers carry no healthCheckResults at all, as right after a leader failover. */
  hideHealthResults(on: boolean): void {
    this.#model.hideHealthResults = on;
  }

  /** The app's service ports by port index; empty for an unknown app. */
  servicePorts(appId: string): number[] {
    return [...(this.#model.get(appId)?.servicePorts ?? [])];
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

  /**
   * While set, `GET /v2/apps` answers this body (an empty or malformed list, as Marathon
   * serves for a while after a leader failover); null restores the real list.
   */
  overrideAppList(body: unknown): void {
    this.#appListOverride = body;
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
    if (this.#appListOverride !== null && path === "/v2/apps" && request.method === "GET") return json(200, this.#appListOverride);
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

  #route(request: Request, url: URL): Promise<Response> {
    return this.#rest.route(request, url);
  }
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
