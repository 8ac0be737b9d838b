/** The simulator's apps with several ports, HTTP and TCP, and how their tasks' connections end. */
import { afterEach, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { SseParser, type MarathonEvent } from "../../src/marathon/events.ts";
import { normaliseAppList } from "../../src/marathon/normalise.ts";
import { MarathonSim, type SimPortSpec } from "./marathon-sim.ts";
import { waitFor } from "./marathon-wait.ts";

const sims: MarathonSim[] = [];
const clients: Socket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

async function sim(): Promise<MarathonSim> {
  const s = await MarathonSim.start({ heartbeatMs: 0 });
  sims.push(s);
  return s;
}

const HTTP_AND_TCP: readonly SimPortSpec[] = [{ kind: "http" }, { kind: "tcp", labels: { HAPROXY_1_MODE: "tcp" }, servicePort: 12345 }];

const getJson = async (url: string) => (await fetch(url)).json() as Promise<Record<string, unknown>>;

/** A client connection to a task's port on 127.0.0.1 that records what it receives and whether it ended. */
interface Client {
  readonly socket: Socket;
  received(): string;
  ended(): boolean;
}

async function dial(port: number): Promise<Client> {
  const socket = connect(port, "127.0.0.1");
  clients.push(socket);
  let received = "";
  let ended = false;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (received += chunk));
  socket.on("close", () => (ended = true));
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  return { socket, received: () => received, ended: () => ended };
}

/** Resolves with the connection error's code, or "connected" when the port still accepts. */
function dialOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    clients.push(socket);
    socket.once("connect", () => resolve("connected")).once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Every event of the simulator's stream, from now on, into `into`; resolves with the reading, which ends with the stream. */
async function collectEvents(s: MarathonSim, into: MarathonEvent[]): Promise<{ ended: Promise<void> }> {
  const response = await fetch(`${s.url}/v2/events`, { headers: { Accept: "text/event-stream" } });
  const reader = response.body!.getReader();
  const parser = new SseParser(1024 * 1024);
  const ended = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      into.push(...parser.feed(value));
    }
  })();
  await waitFor("event_stream_attached", () => into.length > 0);
  return { ended };
}

describe("ports in Marathon's shapes", () => {
  test("without ports an app has the one http port it always had", async () => {
    const s = await sim();
    const [task] = await s.deployApp({ id: "/plain", instances: 1, healthChecks: [{ protocol: "HTTP", path: "/hc" }, { protocol: "TCP" }] });
    const { app } = (await getJson(`${s.url}/v2/apps/plain`)) as { app: Record<string, unknown> };
    expect(app.portDefinitions).toEqual([{ port: 10000, protocol: "tcp", name: "http" }]);
    expect(app.healthChecks).toMatchObject([{ protocol: "HTTP", path: "/hc" }, { protocol: "TCP", portIndex: 0 }]);
    expect((app.healthChecks as Array<Record<string, unknown>>)[1]).not.toHaveProperty("path");
    expect(task!.ports).toEqual([task!.port]);
  });

  test("host networking: one portDefinition per port, every task port and service port listed", async () => {
    const s = await sim();
    const events: MarathonEvent[] = [];
    const stream = await collectEvents(s, events);
    const tasks = await s.deployApp({ id: "/multi", instances: 2, networking: "host", ports: HTTP_AND_TCP });
    const { app } = (await getJson(`${s.url}/v2/apps/multi`)) as { app: Record<string, unknown> };
    expect(app.portDefinitions).toEqual([
      { port: 10000, protocol: "tcp", name: "http" },
      { port: 12345, protocol: "tcp", labels: { HAPROXY_1_MODE: "tcp" } },
    ]);
    expect(app.container).toBeUndefined();
    const appTasks = app.tasks as Array<{ id: string; ports: number[]; servicePorts: number[] }>;
    for (const task of tasks) {
      expect(task.ports).toHaveLength(2);
      expect(task.port).toBe(task.ports[0]!);
      expect(appTasks.find((t) => t.id === task.id)).toMatchObject({ ports: task.ports, servicePorts: [10000, 12345] });
      await waitFor("TASK_RUNNING with both ports", () => events.some((e) => e.body.taskId === task.id && e.body.taskStatus === "TASK_RUNNING"));
      expect(events.find((e) => e.body.taskId === task.id)?.body.ports).toEqual(task.ports);
    }
    // What bamboo reads of it: two ports by index, every task reachable on both.
    const { apps, problems } = normaliseAppList(await getJson(`${s.url}/v2/apps?embed=apps.tasks`), Date.now());
    expect(problems).toEqual([]);
    expect(apps[0]!.ports.map((p) => [p.servicePort, p.name])).toEqual([[10000, "http"], [12345, ""]]);
    expect(apps[0]!.tasks.map((t) => t.ports).sort()).toEqual(tasks.map((t) => t.ports).sort());
    s.dropStreams();
    await stream.ended;
  });

  test("bridge networking: one portMapping per port with a container port each; tasks list their host ports", async () => {
    const s = await sim();
    const [task] = await s.deployApp({ id: "/bridged", instances: 1, networking: "bridge", ports: [{ kind: "http", name: "web" }, { kind: "tcp", name: "db" }] });
    const { app } = (await getJson(`${s.url}/v2/apps/bridged`)) as { app: { container: { portMappings: unknown[] }; portDefinitions?: unknown; tasks: Array<{ ports: number[]; servicePorts: number[] }> } };
    expect(app.container.portMappings).toEqual([
      { containerPort: 8080, hostPort: 0, servicePort: 10000, protocol: "tcp", name: "web" },
      { containerPort: 8081, hostPort: 0, servicePort: 10001, protocol: "tcp", name: "db" },
    ]);
    expect(app.portDefinitions).toBeUndefined();
    expect(app.tasks[0]).toMatchObject({ ports: task!.ports, servicePorts: [10000, 10001] });
  });

  test("container networking: each task listens on the app's container ports at its own address", async () => {
    const s = await sim();
    const tasks = await s.deployApp({ id: "/ipt", instances: 2, networking: "container", ports: HTTP_AND_TCP });
    const { app } = (await getJson(`${s.url}/v2/apps/ipt`)) as { app: { container: { portMappings: Array<{ containerPort: number }> }; tasks: Array<{ ports: number[] }> } };
    const containerPorts = app.container.portMappings.map((m) => m.containerPort);
    expect(containerPorts.every((p) => p > 0)).toBe(true);
    expect(tasks.map((t) => t.ports)).toEqual([containerPorts, containerPorts]);
    expect(new Set(tasks.map((t) => t.listenIp)).size).toBe(2);
    expect(app.tasks.map((t) => t.ports)).toEqual([[], []]);
  });
});

describe("task servers", () => {
  test.each(["host", "bridge"] as const)("%s: the http port answers the task id, the tcp port greets with it and echoes", async (networking) => {
    const s = await sim();
    const [task] = await s.deployApp({ id: "/both", instances: 1, networking, ports: HTTP_AND_TCP });
    const [httpPort, tcpPort] = task!.ports;
    expect(await (await fetch(`http://127.0.0.1:${httpPort}/`)).text()).toBe(task!.id);
    const client = await dial(tcpPort!);
    await waitFor("greeting", () => client.received() === `${task!.id}\n`);
    // A client that does not read while it sends fills the task's send buffer: the echo must survive backpressure.
    const payload = "0123456789abcdef".repeat(1024 * 1024);
    client.socket.pause();
    await new Promise<void>((resolve, reject) => client.socket.write(payload, (error) => (error ? reject(error) : resolve())));
    client.socket.resume();
    await waitFor("echo", () => client.received().length === task!.id.length + 1 + payload.length, 15_000);
    expect(client.received()).toBe(`${task!.id}\n${payload}`);
  });

  test("a health check probes the http server of its portIndex; a TCP check needs nothing but a listener", async () => {
    const s = await sim();
    const healthChecks = [{ protocol: "TCP", portIndex: 0 }, { protocol: "HTTP", path: "/hc", portIndex: 1 }];
    const [task] = await s.deployApp({ id: "/checked", instances: 1, ports: [{ kind: "tcp" }, { kind: "http" }], healthChecks });
    const [tcpPort, httpPort] = task!.ports;
    expect((await fetch(`http://127.0.0.1:${httpPort}/hc`)).status).toBe(200);
    s.setHealth(task!.id, false);
    expect((await fetch(`http://127.0.0.1:${httpPort}/hc`)).status).toBe(500);
    expect(await dialOutcome(tcpPort!)).toBe("connected");
    expect(() => task!.server).toThrow("port 0");
  });

  test("a kill closes the task's open TCP connections and stops every port", async () => {
    const s = await sim();
    const [task] = await s.deployApp({ id: "/dying", instances: 1, ports: HTTP_AND_TCP });
    const [httpPort, tcpPort] = task!.ports;
    const client = await dial(tcpPort!);
    await waitFor("greeting", () => client.received() !== "");
    await s.killTask(task!.id);
    await waitFor("the connection to close", client.ended);
    expect(await dialOutcome(tcpPort!)).toBe("ECONNREFUSED");
    expect(await dialOutcome(httpPort!)).toBe("ECONNREFUSED");
    expect(s.tasks("/dying")).toEqual([]);
  });

  test("a silent kill leaves an open TCP connection open and mute until the simulator stops", async () => {
    const s = await sim();
    const [task, witness] = await s.deployApp({ id: "/vanishing", instances: 2, ports: HTTP_AND_TCP });
    const client = await dial(task!.ports[1]!);
    const control = await dial(witness!.ports[1]!);
    await waitFor("greetings", () => client.received() !== "" && control.received() !== "");
    await s.killTask(task!.id, { silent: true });
    expect(s.tasks("/vanishing").map((t) => t.id)).toEqual([witness!.id]);
    expect(await dialOutcome(task!.ports[1]!)).toBe("ECONNREFUSED");
    // The killed task's echo would come back no later than the live one's, written after it.
    client.socket.write("anyone?");
    control.socket.write("ping");
    await waitFor("the live task's echo", () => control.received().endsWith("ping"));
    expect(client.received()).toBe(`${task!.id}\n`);
    expect(client.ended()).toBe(false);
    await s.stop();
    await waitFor("stop() to close the silent connection", client.ended);
  });
});
