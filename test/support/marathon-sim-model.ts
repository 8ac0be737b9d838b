/**
 * The simulator's apps and tasks. Every port of a task is a real server on loopback: an HTTP
 * one answers with the task id (and its health path with 200 or 500), a TCP one greets with
 * the task id and echoes, so a routing test can prove which backend served a connection.
 * Apps render to the JSON shapes of test/fixtures/marathon.
 */
import type { Server, Socket } from "bun";
import { taskIdPrefix } from "./marathon-sim-ids.ts";

/** host: agent ports; bridge: agent ports mapped to a container port; container: an own loopback IP per task. */
export type SimNetworking = "host" | "bridge" | "container";

export interface SimHealthCheck {
  readonly protocol?: string;
  readonly path?: string;
  readonly portIndex?: number;
}

export interface SimPortSpec {
  /** "http" (default): an HTTP server answering its task id. "tcp": a raw TCP server (Bun.listen) that writes `<task id>\n` as soon as a client connects, then echoes every byte it receives back. */
  readonly kind?: "http" | "tcp";
  /** Marathon's port name; default "http" for an http port, "" (no name field) for a tcp port. */
  readonly name?: string;
  /** Labels of this port definition / port mapping (Marathon's `labels` on a port). */
  readonly labels?: Readonly<Record<string, string>>;
  /** A fixed service port; default: the next one of the simulator's sequence. */
  readonly servicePort?: number;
}

/** A port of an app, its defaults filled in. */
export interface SimPort {
  readonly kind: "http" | "tcp";
  /** "" for none. */
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly servicePort: number;
}

export interface DeploySpec {
  readonly id: string;
  readonly instances: number;
  readonly healthChecks?: readonly SimHealthCheck[];
  readonly env?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly networking?: SimNetworking;
  /** Fixed when the app is created, as networking is; default: one http port named "http". */
  readonly ports?: readonly SimPortSpec[];
}

export interface KillOptions {
  /** How long the task stays listed as TASK_KILLING before it stops. */
  readonly graceMs?: number;
  /**
   * An agent that vanished instead of a process that died: the task is reported killed and
   * its ports stop accepting, but established TCP connections stay open and mute (no FIN,
   * no echo) until the simulator stops. HTTP ports stop as in any kill.
   */
  readonly silent?: boolean;
}

export interface SimTask {
  readonly id: string;
  readonly appId: string;
  /** Where the task listens: 127.0.0.1 for host/bridge, an own 127.0.0.x for container networking. */
  readonly listenIp: string;
  /** The first of {@link ports}. */
  readonly port: number;
  /** Where the task listens, by port index. */
  readonly ports: readonly number[];
  /** Port 0's HTTP server (scripts/bench/first-hit.ts swaps its handler); reading it throws when port 0 is tcp. */
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
  readonly ports: readonly SimPort[];
  /** By port index. */
  readonly servicePorts: number[];
  /** The first of {@link servicePorts}. */
  readonly servicePort: number;
  version: string;
  /** Container networking, by port index: every task listens on these ports, each on its own IP; 0 until the first task picked one. */
  containerPorts: number[];
  /** The status its tasks answer on every path but the health check's (200 unless a test sets it). */
  answerStatus: number;
  readonly tasks: Map<string, SimTask>;
}

export type Publish = (eventType: string, body: Record<string, unknown>) => void;

/** Agent id the simulator reports for every task. */
const AGENT = "sim-agent-S0";

/** Bridge tasks report these made-up container ports (8080, 8081...): the router must use the host ports. */
const BRIDGE_CONTAINER_PORT = 8080;

/** One port of a running task: how it ends depends on how the task is killed. */
interface PortServer {
  readonly port: number;
  /** Set for an http port. */
  readonly http?: Server<undefined>;
  /** A dying process: stops accepting and closes every connection. */
  close(): Promise<void>;
  /** A vanished agent: stops accepting; established TCP connections stay open, mute, until close(). */
  silence(): void;
}

type OpenPort = (index: number, hostname: string, port: number) => PortServer;

export class SimModel {
  readonly #apps = new Map<string, SimApp>();
  /** By task id, every task whose servers still hold a socket: running ones and silently killed ones. */
  readonly #servers = new Map<string, PortServer[]>();
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
      const ports = this.#ports(spec);
      app = {
        id: spec.id,
        instances: 0,
        env: { ...spec.env },
        labels: { ...spec.labels },
        healthChecks: [...(spec.healthChecks ?? [])],
        networking: spec.networking ?? "host",
        ports,
        servicePorts: ports.map((p) => p.servicePort),
        servicePort: ports[0]!.servicePort,
        version,
        containerPorts: ports.map(() => 0),
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
    for (const task of youngestFirst.slice(0, app.tasks.size - instances)) await this.kill(task.id);
    this.#publish("deployment_success", { id: plan.id, plan });
  }

  /** TASK_KILLING (still listed for `graceMs`), then the servers stop (or go silent) and TASK_KILLED removes it. */
  async kill(taskId: string, { graceMs = 0, silent = false }: KillOptions = {}): Promise<void> {
    const task = this.task(taskId);
    const app = task && this.#apps.get(task.appId);
    if (!task || !app) throw new Error(`no task ${taskId}`);
    task.state = "TASK_KILLING";
    this.#status(task, "TASK_KILLING");
    if (graceMs > 0) await Bun.sleep(graceMs);
    const servers = this.#servers.get(task.id) ?? [];
    if (silent) {
      for (const server of servers) server.silence();
    } else {
      this.#servers.delete(task.id);
      await Promise.all(servers.map((server) => server.close()));
    }
    task.state = "TASK_KILLED";
    app.tasks.delete(task.id);
    this.#status(task, "TASK_KILLED");
  }

  /** Deletes an app: every task is killed, then `app_terminated_event`. */
  async remove(id: string): Promise<boolean> {
    const app = this.#apps.get(id);
    if (app === undefined) return false;
    for (const task of [...app.tasks.values()]) await this.kill(task.id);
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

  /** Closes every server and connection, silently killed tasks' included. */
  async stopAll(): Promise<void> {
    const servers = [...this.#servers.values()].flat();
    this.#servers.clear();
    this.#apps.clear();
    await Promise.all(servers.map((server) => server.close()));
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
      healthChecks: app.healthChecks.map((hc) => ({ protocol: "HTTP", path: checkPath(hc), portIndex: 0, gracePeriodSeconds: 5, intervalSeconds: 2, timeoutSeconds: 2, maxConsecutiveFailures: 3, ...hc })),
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
      ports: app.networking === "container" ? [] : task.ports,
      servicePorts: app.servicePorts,
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

  /** The spec's ports with their defaults; without any, the one http port every app used to have. */
  #ports(spec: DeploySpec): SimPort[] {
    const specs = spec.ports ?? [{}];
    if (specs.length === 0) throw new Error(`${spec.id}: ports must not be empty (leave it out for one http port)`);
    return specs.map(({ kind = "http", name, labels, servicePort }) => ({
      kind,
      name: name ?? (kind === "http" ? "http" : ""),
      labels,
      servicePort: servicePort ?? this.#nextServicePort++,
    }));
  }

  #networkingJson(app: SimApp): Record<string, unknown> {
    // Marathon leaves out a port's name and labels when it has none.
    const naming = (port: SimPort) => ({ ...(port.name !== "" && { name: port.name }), ...(port.labels && { labels: port.labels }) });
    if (app.networking === "host") {
      return { networks: [{ mode: "host" }], portDefinitions: app.ports.map((p) => ({ port: p.servicePort, protocol: "tcp", ...naming(p) })) };
    }
    const portMappings = app.ports.map((p, i) => {
      const containerPort = app.networking === "container" ? app.containerPorts[i] : BRIDGE_CONTAINER_PORT + i;
      return { containerPort, hostPort: 0, servicePort: p.servicePort, protocol: "tcp", ...naming(p) };
    });
    return {
      networks: app.networking === "bridge" ? [{ mode: "container/bridge" }] : [{ mode: "container", name: "sim" }],
      container: { type: "DOCKER", docker: { image: "sim/task" }, portMappings },
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
    const httpHandler = (index: number) => {
      // A health check probes the port of its portIndex only.
      const healthPaths = new Set(app.healthChecks.filter((hc) => (hc.portIndex ?? 0) === index).flatMap((hc) => checkPath(hc) ?? []));
      return (request: Request) => {
        const path = new URL(request.url, "http://task.invalid").pathname; // HAProxy checks send no Host
        if (healthPaths.has(path)) return new Response(holder.task?.healthy ? "healthy" : "unhealthy", { status: holder.task?.healthy ? 200 : 500 });
        // What the router told the app about the client, echoed so tests can see it arrive.
        const forwarded = { "X-Seen-Forwarded-Proto": request.headers.get("x-forwarded-proto") ?? "", "X-Seen-Forwarded-For": request.headers.get("x-forwarded-for") ?? "" };
        return new Response(id, { status: app.answerStatus, headers: { "X-Task-Id": id, "X-Port-Index": String(index), ...forwarded } });
      };
    };
    const open: OpenPort = (index, hostname, port) => (app.ports[index]!.kind === "tcp" ? tcpServer(hostname, port, `${id}\n`) : httpServer(hostname, port, httpHandler(index)));
    const { servers, ip } = this.#listen(app, open);
    const ports = servers.map((s) => s.port);
    const task: SimTask = {
      id,
      appId: app.id,
      listenIp: ip,
      port: ports[0]!,
      ports,
      get server() {
        const server = servers[0]!.http;
        if (server === undefined) throw new Error(`port 0 of ${id} is tcp: it has no HTTP server`);
        return server;
      },
      state: "TASK_RUNNING",
      healthy: true,
      stagedAt: now,
      startedAt: now,
      version: app.version,
    };
    holder.task = task;
    this.#servers.set(id, servers);
    app.tasks.set(id, task);
    this.#status(task, "TASK_RUNNING");
    return task;
  }

  /** Container networking gives each task its own 127.0.0.x, listening on the app's container ports. */
  #listen(app: SimApp, open: OpenPort): { servers: PortServer[]; ip: string } {
    if (app.networking !== "container") return { servers: openAll("127.0.0.1", app.ports.map(() => 0), open), ip: "127.0.0.1" };
    for (let tries = 0; tries < 50; tries++) {
      const ip = `127.0.${Math.floor(this.#nextIp / 250)}.${(this.#nextIp % 250) + 2}`;
      this.#nextIp++;
      try {
        const servers = openAll(ip, app.containerPorts, open);
        app.containerPorts = servers.map((s) => s.port);
        return { servers, ip };
      } catch {
        // A port taken on this address by something else: try the next address.
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
      ports: task.ports,
      version: task.version,
    });
  }
}

/** The path an HTTP(S) check probes; TCP and command checks have none. */
function checkPath(hc: SimHealthCheck): string | undefined {
  return /HTTP/i.test(hc.protocol ?? "HTTP") ? (hc.path ?? "/health") : undefined;
}

/** One server per port (0: any free one), or none: one that fails to listen closes those already open. */
function openAll(hostname: string, ports: readonly number[], open: OpenPort): PortServer[] {
  const servers: PortServer[] = [];
  try {
    for (const [index, port] of ports.entries()) servers.push(open(index, hostname, port));
    return servers;
  } catch (error) {
    for (const server of servers) void server.close();
    throw error;
  }
}

function httpServer(hostname: string, port: number, fetch: (request: Request) => Response): PortServer {
  const server = Bun.serve({ hostname, port, fetch });
  const close = () => server.stop(true);
  return { port: server.port ?? port, http: server, close, silence: () => void close() };
}

type EchoSocket = Socket<{ unsent: Uint8Array }>;

/** Greets every connection with `greeting`, then echoes; silenced, it says nothing more. */
function tcpServer(hostname: string, port: number, greeting: string): PortServer {
  let silent = false;
  // Bun sockets do not buffer: what the kernel did not take is kept until `drain`.
  const send = (socket: EchoSocket, bytes: Uint8Array) => {
    if (silent) return;
    const queued = socket.data.unsent.length === 0 ? bytes : Buffer.concat([socket.data.unsent, bytes]);
    const written = socket.write(queued);
    socket.data.unsent = written < 0 ? new Uint8Array(0) : new Uint8Array(queued.subarray(written));
  };
  const listener = Bun.listen<{ unsent: Uint8Array }>({
    hostname,
    port,
    socket: {
      open(socket) {
        socket.data = { unsent: new Uint8Array(0) };
        send(socket, new TextEncoder().encode(greeting));
      },
      data: send,
      drain: (socket) => send(socket, new Uint8Array(0)),
    },
  });
  return {
    port: listener.port,
    close: async () => listener.stop(true),
    silence: () => {
      silent = true;
      // Established connections survive: only close() ends them.
      listener.stop(false);
    },
  };
}
