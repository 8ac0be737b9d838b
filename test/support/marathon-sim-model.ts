/**
 * The simulator's apps and tasks. Every task is a real HTTP server on loopback that answers
 * with its task id (and its health path with 200 or 500), so a routing test can prove which
 * backend served a request. Apps render to the JSON shapes of test/fixtures/marathon.
 */
import type { Server } from "bun";
import { taskIdPrefix } from "./marathon-sim-ids.ts";

/** host: agent ports; bridge: agent ports mapped to a container port; container: an own loopback IP per task. */
export type SimNetworking = "host" | "bridge" | "container";

export interface SimHealthCheck {
  readonly protocol?: string;
  readonly path?: string;
  readonly portIndex?: number;
}

export interface DeploySpec {
  readonly id: string;
  readonly instances: number;
  readonly healthChecks?: readonly SimHealthCheck[];
  readonly env?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly networking?: SimNetworking;
}

export interface SimTask {
  readonly id: string;
  readonly appId: string;
  /** Where the task listens: 127.0.0.1 for host/bridge, an own 127.0.0.x for container networking. */
  readonly listenIp: string;
  readonly port: number;
  readonly server: Server<undefined>;
  state: string;
  healthy: boolean;
  readonly stagedAt: string;
  readonly startedAt: string;
  readonly version: string;
}

export interface SimApp {
  readonly id: string;
  instances: number;
  env: Record<string, string>;
  labels: Record<string, string>;
  healthChecks: SimHealthCheck[];
  readonly networking: SimNetworking;
  readonly servicePort: number;
  version: string;
  /** Container networking: every task listens on this port, each on its own IP. */
  containerPort: number;
  /** The status its tasks answer on every path but the health check's (200 unless a test sets it). */
  answerStatus: number;
  readonly tasks: Map<string, SimTask>;
}

export type Publish = (eventType: string, body: Record<string, unknown>) => void;

/** Agent id the simulator reports for every task. */
const AGENT = "sim-agent-S0";

export class SimModel {
  readonly #apps = new Map<string, SimApp>();
  readonly #publish: Publish;
  #nextServicePort = 10000;
  #nextIp = 2;
  /** Leader-failover imitation: answers carry no healthCheckResults at all. */
  hideHealthResults = false;

  constructor(publish: Publish) {
    this.#publish = publish;
  }

  apps(): SimApp[] {
    return [...this.#apps.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  get(id: string): SimApp | undefined {
    return this.#apps.get(id);
  }

  task(taskId: string): SimTask | undefined {
    for (const app of this.#apps.values()) {
      const task = app.tasks.get(taskId);
      if (task) return task;
    }
    return undefined;
  }

  /** Creates or updates an app and scales it to `instances` (events as Marathon sends them). */
  async deploy(spec: DeploySpec): Promise<SimApp> {
    let app = this.#apps.get(spec.id);
    const version = new Date().toISOString();
    if (app === undefined) {
      app = {
        id: spec.id,
        instances: 0,
        env: { ...spec.env },
        labels: { ...spec.labels },
        healthChecks: [...(spec.healthChecks ?? [])],
        networking: spec.networking ?? "host",
        servicePort: this.#nextServicePort++,
        version,
        containerPort: 0,
        answerStatus: 200,
        tasks: new Map(),
      };
      this.#apps.set(spec.id, app);
    } else {
      app.env = { ...(spec.env ?? app.env) };
      app.labels = { ...(spec.labels ?? app.labels) };
      app.healthChecks = [...(spec.healthChecks ?? app.healthChecks)];
      app.version = version;
    }
    this.#publish("api_post_event", { clientIp: "127.0.0.1", uri: `/v2/apps${spec.id}`, appDefinition: this.appJson(app, false) });
    await this.scale(spec.id, spec.instances);
    return app;
  }

  /** Starts or kills tasks (youngest first, as Marathon's default killSelection) to reach `instances`. */
  async scale(id: string, instances: number): Promise<void> {
    const app = this.#apps.get(id);
    if (app === undefined) throw new Error(`no app ${id}`);
    app.instances = instances;
    // As Marathon with plan-format=light: the plan without the group trees, its steps naming the app.
    const action = { action: "ScaleApplication", app: id };
    const plan = { id: crypto.randomUUID(), version: app.version, steps: [{ actions: [action] }] };
    this.#publish("deployment_info", { plan, currentStep: { actions: [action] } });
    while (app.tasks.size < instances) await this.#launch(app);
    const youngestFirst = [...app.tasks.values()].reverse();
    for (const task of youngestFirst.slice(0, app.tasks.size - instances)) await this.kill(task.id, 0);
    this.#publish("deployment_success", { id: plan.id, plan });
  }

  /** TASK_KILLING (still listed for `graceMs`), then the server stops and TASK_KILLED removes it. */
  async kill(taskId: string, graceMs: number): Promise<void> {
    const task = this.task(taskId);
    const app = task && this.#apps.get(task.appId);
    if (!task || !app) throw new Error(`no task ${taskId}`);
    task.state = "TASK_KILLING";
    this.#status(task, "TASK_KILLING");
    if (graceMs > 0) await Bun.sleep(graceMs);
    await task.server.stop(true);
    task.state = "TASK_KILLED";
    app.tasks.delete(task.id);
    this.#status(task, "TASK_KILLED");
  }

  /** Deletes an app: every task is killed, then `app_terminated_event`. */
  async remove(id: string): Promise<boolean> {
    const app = this.#apps.get(id);
    if (app === undefined) return false;
    for (const task of [...app.tasks.values()]) await this.kill(task.id, 0);
    this.#apps.delete(id);
    this.#publish("app_terminated_event", { appId: id });
    return true;
  }

  /** Flips a task's health: its health path and healthCheckResults change, and Marathon's event is sent. */
  setHealth(taskId: string, alive: boolean): void {
    const task = this.task(taskId);
    if (!task) throw new Error(`no task ${taskId}`);
    task.healthy = alive;
    this.#publish("health_status_changed_event", { appId: task.appId, taskId, instanceId: taskId, version: task.version, alive });
  }

  /** Makes every task of the app, running or launched later, answer `status` on all but its health path. */
  setAnswerStatus(appId: string, status: number): void {
    const app = this.#apps.get(appId);
    if (!app) throw new Error(`no app ${appId}`);
    app.answerStatus = status;
  }

  async stopAll(): Promise<void> {
    for (const app of this.#apps.values()) for (const task of app.tasks.values()) await task.server.stop(true);
    this.#apps.clear();
  }

  /** An app as `GET /v2/apps` renders it; tasks, deployments and readiness only when embedded. */
  appJson(app: SimApp, embedTasks: boolean, embed: { deployments?: boolean; readiness?: boolean } = {}): Record<string, unknown> {
    const json: Record<string, unknown> = {
      id: app.id,
      instances: app.instances,
      cpus: 0.1,
      mem: 32,
      env: app.env,
      labels: app.labels,
      healthChecks: app.healthChecks.map((hc) => ({ protocol: "HTTP", path: "/health", portIndex: 0, gracePeriodSeconds: 5, intervalSeconds: 2, timeoutSeconds: 2, maxConsecutiveFailures: 3, ...hc })),
      version: app.version,
      tasksRunning: [...app.tasks.values()].filter((t) => t.state === "TASK_RUNNING").length,
      tasksStaged: 0,
      tasksHealthy: [...app.tasks.values()].filter((t) => t.healthy).length,
      tasksUnhealthy: [...app.tasks.values()].filter((t) => !t.healthy).length,
      ...this.#networkingJson(app),
    };
    if (embedTasks) json.tasks = [...app.tasks.values()].map((t) => this.taskJson(t, app));
    if (embed.deployments) json.deployments = [];
    if (embed.readiness) json.readinessCheckResults = [];
    return json;
  }

  /** A task in Marathon 1.5's shape (as in marathon15_apps.json). */
  taskJson(task: SimTask, app: SimApp): Record<string, unknown> {
    const json: Record<string, unknown> = {
      id: task.id,
      appId: app.id,
      host: "127.0.0.1",
      ports: app.networking === "container" ? [] : [task.port],
      servicePorts: [app.servicePort],
      ipAddresses: [{ ipAddress: this.#containerIp(task, app), protocol: "IPv4" }],
      slaveId: AGENT,
      state: task.state,
      stagedAt: task.stagedAt,
      startedAt: task.startedAt,
      version: task.version,
    };
    if (app.healthChecks.length > 0 && !this.hideHealthResults) {
      json.healthCheckResults = app.healthChecks.map(() => ({
        alive: task.healthy,
        consecutiveFailures: task.healthy ? 0 : 3,
        firstSuccess: task.startedAt,
        lastSuccess: task.healthy ? new Date().toISOString() : null,
        lastFailure: task.healthy ? null : new Date().toISOString(),
        instanceId: task.id,
      }));
    }
    return json;
  }

  #networkingJson(app: SimApp): Record<string, unknown> {
    if (app.networking === "host") return { networks: [{ mode: "host" }], portDefinitions: [{ port: app.servicePort, protocol: "tcp", name: "http" }] };
    const containerPort = app.networking === "container" ? app.containerPort : 8080;
    return {
      networks: app.networking === "bridge" ? [{ mode: "container/bridge" }] : [{ mode: "container", name: "sim" }],
      container: { type: "DOCKER", docker: { image: "sim/task" }, portMappings: [{ containerPort, hostPort: 0, servicePort: app.servicePort, protocol: "tcp", name: "http" }] },
    };
  }

  /** Bridge tasks report an unbound loopback address as their container IP: using it instead of the host port fails loudly. */
  #containerIp(task: SimTask, app: SimApp): string {
    return app.networking === "container" ? task.listenIp : "127.255.0.1";
  }

  async #launch(app: SimApp): Promise<SimTask> {
    const id = `${taskIdPrefix(app.id)}.${crypto.randomUUID()}`;
    const now = new Date().toISOString();
    const holder: { task?: SimTask } = {};
    const healthPaths = new Set(app.healthChecks.map((hc) => hc.path ?? "/health"));
    const handler = (request: Request) => {
      const path = new URL(request.url, "http://task.invalid").pathname; // HAProxy checks send no Host
      if (healthPaths.has(path)) return new Response(holder.task?.healthy ? "healthy" : "unhealthy", { status: holder.task?.healthy ? 200 : 500 });
      // What the router told the app about the client, echoed so tests can see it arrive.
      const forwarded = { "X-Seen-Forwarded-Proto": request.headers.get("x-forwarded-proto") ?? "", "X-Seen-Forwarded-For": request.headers.get("x-forwarded-for") ?? "" };
      return new Response(id, { status: app.answerStatus, headers: { "X-Task-Id": id, ...forwarded } });
    };
    const { server, ip } = this.#listen(app, handler);
    const task: SimTask = { id, appId: app.id, listenIp: ip, port: server.port ?? 0, server, state: "TASK_RUNNING", healthy: true, stagedAt: now, startedAt: now, version: app.version };
    holder.task = task;
    app.tasks.set(id, task);
    this.#status(task, "TASK_RUNNING");
    return task;
  }

  /** Container networking gives each task its own 127.0.0.x on the app's one container port. */
  #listen(app: SimApp, fetch: (request: Request) => Response): { server: Server<undefined>; ip: string } {
    if (app.networking !== "container") return { server: Bun.serve({ hostname: "127.0.0.1", port: 0, fetch }), ip: "127.0.0.1" };
    for (let tries = 0; tries < 50; tries++) {
      const ip = `127.0.${Math.floor(this.#nextIp / 250)}.${(this.#nextIp % 250) + 2}`;
      this.#nextIp++;
      try {
        const server = Bun.serve({ hostname: ip, port: app.containerPort, fetch });
        if (app.containerPort === 0) app.containerPort = server.port ?? 0;
        return { server, ip };
      } catch {
        // Port taken on this address by something else: try the next address.
      }
    }
    throw new Error(`no free loopback address for a task of ${app.id}`);
  }

  #status(task: SimTask, status: string): void {
    this.#publish("status_update_event", {
      slaveId: AGENT,
      taskId: task.id,
      taskStatus: status,
      message: "",
      appId: task.appId,
      host: "127.0.0.1",
      ports: [task.port],
      version: task.version,
    });
  }
}
