import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { eventually, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/**
 * Issue 20 items 1, 2 and 6: every service port of every app has a listener, HTTP or TCP;
 * task churn on a TCP port needs no reload and never breaks a connection to a task that
 * stays; a task that goes has its connections closed.
 */

interface Status {
  haproxy: { reloads: number; workerPid: number };
  config: { servicePorts: { http: number; tcp: number } };
  problems: { id: string; message: string }[];
}

/** A TCP client through HAProxy: the task greets with its id, then echoes. */
class EchoClient {
  readonly #socket: Socket;
  #received = "";
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (this.#received += chunk));
    socket.on("close", () => (this.#closed = true));
    socket.on("error", () => (this.#closed = true));
  }

  static async open(host: string, port: number): Promise<EchoClient> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new EchoClient(socket);
    await eventually("the task's greeting", async () => client.#received.includes("\n") || client.#closed, 5_000);
    return client;
  }

  /** The id of the task that greeted, "" when the connection closed first. */
  get task(): string {
    const end = this.#received.indexOf("\n");
    return end < 0 ? "" : this.#received.slice(0, end);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when `text` comes back. */
  async echoes(text: string): Promise<boolean> {
    if (this.#closed) return false;
    const before = this.#received.length;
    this.#socket.write(text);
    const deadline = performance.now() + 5_000;
    while (performance.now() < deadline && !this.#closed) {
      if (this.#received.slice(before).includes(text)) return true;
      await Bun.sleep(5);
    }
    return this.#received.slice(before).includes(text);
  }

  close(): void {
    this.#socket.destroy();
  }
}

let sim: MarathonSim;
let bamboo: RunningAppliance;
const clients: EchoClient[] = [];

beforeAll(async () => {
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  // 4 instances leave slots for every size the churn below uses (haproxy/slots.ts).
  await sim.deployApp({ id: "/shop", instances: 4, ports: [{ kind: "http", name: "http" }, { kind: "tcp", name: "db" }] });
  await sim.deployApp({ id: "/cache", instances: 1, labels: { HAPROXY_0_MODE: "tcp" }, ports: [{ kind: "tcp" }] });
  bamboo = await startAppliance({ marathonUrl: sim.url });
  await bamboo.waitReady();
});

afterAll(async () => {
  for (const client of clients) client.close();
  await bamboo?.stop();
  await sim?.stop();
});

const status = async (): Promise<Status> => (await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as Status;
const servicePort = (appId: string, index: number): number => sim.servicePorts(appId)[index]!;
const running = (appId: string): string[] => sim.tasks(appId).filter((task) => task.state === "TASK_RUNNING").map((task) => task.id).sort();
const open = async (appId: string, index: number): Promise<EchoClient> => {
  const client = await EchoClient.open(bamboo.serviceHost, servicePort(appId, index));
  clients.push(client);
  return client;
};
/** Opens connections until each running task has one (leastconn spreads them), at most 8 per task. */
const oneConnectionPerTask = async (appId: string, index: number): Promise<Map<string, EchoClient>> => {
  const byTask = new Map<string, EchoClient>();
  for (let tries = 0; tries < running(appId).length * 8 && byTask.size < running(appId).length; tries++) {
    const client = await open(appId, index);
    if (!byTask.has(client.task)) byTask.set(client.task, client);
  }
  return byTask;
};

describe("service ports", () => {
  test("an app's HTTP port answers HTTP on its service port, its TCP port carries raw TCP", async () => {
    await eventually("the HTTP service port to answer", async () => {
      const answer = await fetch(`http://${bamboo.serviceHost}:${servicePort("/shop", 0)}/any/path`).catch(() => null);
      return answer?.status === 200 && running("/shop").includes(await answer.text());
    });
    const client = await open("/shop", 1);
    expect(running("/shop")).toContain(client.task);
    expect(await client.echoes("ping\n")).toBe(true);
    expect((await status()).problems.filter((problem) => problem.id === "/shop")).toEqual([]);
    // /shop's two ports and /cache's one, as /api/status and /metrics count them.
    expect((await status()).config.servicePorts).toEqual({ http: 1, tcp: 2 });
    const metrics = await (await fetch(`${bamboo.api}/metrics`, { headers: bamboo.reader })).text();
    expect(metrics).toContain('bamboo_service_ports{mode="http"} 1\nbamboo_service_ports{mode="tcp"} 2\n');
  });

  test("an app whose port 0 is TCP (HAPROXY_0_MODE) is served on its service port and not by a path rule", async () => {
    const client = await open("/cache", 0);
    expect(client.task).toBe(running("/cache")[0]!);
    expect(await client.echoes("SET a 1\n")).toBe(true);
    expect((await fetch(`${bamboo.http}/cache`)).status).toBe(503);
  });

  test("TCP churn: no reload, the same worker, connections to tasks that stay never broken, and a killed task's closed", async () => {
    const before = await status();
    const byTask = await oneConnectionPerTask("/shop", 1);
    expect([...byTask.keys()].sort()).toEqual(running("/shop"));
    const [doomed, ...kept] = [...byTask.keys()];
    // An agent that vanishes closes nothing: only bamboo's `shutdown sessions` can.
    await sim.killTask(doomed!, { silent: true });
    await eventually("the killed task's connection to be closed", async () => byTask.get(doomed!)!.closed, 10_000);
    for (const size of [5, 2, 6, 3]) {
      // Scaling kills the youngest tasks first: the ones with connections are the oldest.
      await sim.scale("/shop", Math.max(size, kept.length));
      await eventually(`a new connection to reach only running tasks (${size})`, async () => {
        const client = await open("/shop", 1);
        client.close();
        return running("/shop").includes(client.task);
      });
    }
    for (const task of kept) expect(await byTask.get(task)!.echoes(`still ${task}\n`)).toBe(true);
    const after = await status();
    expect(after.haproxy.reloads).toBe(before.haproxy.reloads);
    expect(after.haproxy.workerPid).toBe(before.haproxy.workerPid);
  });
});

describe("HAPROXY_{n}_STICKY", () => {
  test("an HTTP port keeps a client on its task by a cookie, a TCP port by the client's address", async () => {
    await sim.deployApp({ id: "/sticky", instances: 3, labels: { HAPROXY_0_STICKY: "true", HAPROXY_1_STICKY: "true" }, ports: [{ kind: "http", name: "http" }, { kind: "tcp" }] });
    const url = () => `http://${bamboo.serviceHost}:${servicePort("/sticky", 0)}/`;
    await eventually("the sticky app's three tasks to be served", async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) seen.add(await fetch(url()).then((answer) => answer.text(), () => ""));
      return running("/sticky").every((task) => seen.has(task));
    });
    const first = await fetch(url());
    const cookie = (first.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(cookie).toStartWith("bamboo_server=");
    const task = await first.text();
    for (let i = 0; i < 6; i++) expect(await (await fetch(url(), { headers: { cookie } })).text()).toBe(task);
    const tcp = await Promise.all(Array.from({ length: 4 }, () => open("/sticky", 1)));
    expect(new Set(tcp.map((client) => client.task)).size).toBe(1);
  });
});

/** GET through the shared HTTP frontend with any Host header (fetch would send the URL's): the task and port that answered. */
function getByHost(host: string, path: string): Promise<{ status: number; task: string; port: string }> {
  const url = new URL(bamboo.http);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: Number(url.port), path, headers: { host, connection: "close" } }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, task: body, port: String(res.headers["x-port-index"] ?? "") }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HAPROXY_{n}_VHOST on a later port", () => {
  test("the shared HTTP frontend routes the port's host to that port of the app's tasks, as the request tester says; churn needs no reload", async () => {
    await sim.deployApp({ id: "/console", instances: 2, labels: { HAPROXY_1_VHOST: "Admin.Console.example" }, ports: [{ kind: "http", name: "web" }, { kind: "http", name: "admin" }] });
    await eventually("port 1's host to reach port 1 of a task", async () => {
      const answer = await getByHost("admin.console.example", "/anything");
      return answer.status === 200 && answer.port === "1" && running("/console").includes(answer.task);
    }, 15_000);
    // Port 0 keeps its own rule, the default path rule here.
    expect(await getByHost("other.example", "/console/x")).toMatchObject({ status: 200, port: "0" });
    type TestAnswer = { verdict: string; matched: { appId: string; port: number; backend: string; via: string; map: string } };
    const requestTest = async () =>
      (await (await fetch(`${bamboo.api}/api/request-test`, { method: "POST", headers: bamboo.writer, body: JSON.stringify({ url: "http://admin.console.example/anything" }) })).json()) as TestAnswer;
    // bamboo counts a reload as applied once the new worker is confirmed, a moment after it serves.
    await eventually("the request tester to know /console", async () => (await requestTest()).verdict !== "no-rule");
    const answer = await requestTest();
    expect(answer).toMatchObject({ verdict: "routed", matched: { appId: "/console", port: 1, backend: "::console-cluster-port1", via: "map", map: "host.map" } });
    const ports = (await (await fetch(`${bamboo.api}/api/apps/console/ports`, { headers: bamboo.reader })).json()) as { ports: { frontendRule: string | null }[] };
    expect(ports.ports.map((port) => port.frontendRule)).toEqual([null, "hdr(host) -i admin.console.example"]);
    expect((await status()).problems.filter((problem) => problem.id === "/console")).toEqual([]);
    // The API refuses another app's rule for that host, as it would for port 0's.
    const clash = await fetch(`${bamboo.api}/api/services`, { method: "POST", headers: bamboo.writer, body: JSON.stringify({ id: "/shop", acl: "hdr(host) -i admin.console.example" }) });
    expect(clash.status).toBe(409);
    expect(((await clash.json()) as { error: string }).error).toContain("already claimed by /console port 1 by the rule its labels give");

    const before = await status();
    await sim.scale("/console", 3);
    await eventually("the new task to be reached by port 1's host", async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) seen.add((await getByHost("admin.console.example", "/")).task);
      return running("/console").length === 3 && running("/console").every((task) => seen.has(task));
    }, 15_000);
    expect((await status()).haproxy.reloads).toBe(before.haproxy.reloads);
  });
});

describe("service ports that cannot be served", () => {
  test("a port another app has, or one HAProxy cannot bind, is left out and said; every other port keeps working", async () => {
    const taken = servicePort("/shop", 1);
    await sim.deployApp({ id: "/shop-copy", instances: 1, labels: { HAPROXY_0_PORT: String(taken) } });
    await eventually("the clash to be reported", async () =>
      (await status()).problems.some((problem) => problem.id === "/shop-copy" && problem.message === `service port ${taken} not listened on: /shop has it`),
    );
    // Another process holds the port an app asks for (marathon-lb users know this from fixed service ports).
    const holder = Bun.listen({ hostname: bamboo.serviceHost, port: 0, socket: { data() {} } });
    try {
      await sim.deployApp({ id: "/blocked", instances: 1, ports: [{ kind: "tcp", servicePort: holder.port }] });
      await sim.deployApp({ id: "/after", instances: 1, labels: { HAPROXY_0_MODE: "tcp" }, ports: [{ kind: "tcp" }] });
      await eventually(
        "the unbindable port to be reported",
        async () => (await status()).problems.some((problem) => problem.id === "/blocked" && problem.message.includes("HAProxy cannot bind it")),
        15_000,
      );
      await eventually("the next app's port to be served", async () => {
        const client = await EchoClient.open(bamboo.serviceHost, servicePort("/after", 0)).catch(() => null);
        client?.close();
        return client !== null && client.task === running("/after")[0];
      }, 15_000);
      expect((await open("/shop", 1)).task).not.toBe("");
    } finally {
      holder.stop(true);
    }
  });
});

describe("local mode (image/marathon-local.json)", () => {
  test("its settings serve every app's service ports on both addresses, with no ZooKeeper and no rule written", async () => {
    const local = (await Bun.file(new URL("../../image/marathon-local.json", import.meta.url).pathname).json()) as { env: Record<string, string> };
    expect(local.env.HAPROXY_SERVICE_BIND).toBe("127.0.0.1,172.17.0.1");
    // The same settings with two loopback addresses standing in for 127.0.0.1 and the Docker bridge.
    const [loopback, bridge] = ["127.2.0.1", "127.2.0.2"];
    const { MARATHON_ENDPOINT: _marathon, BAMBOO_BIND: _bind, HAPROXY_HTTP_BIND: _http, HAPROXY_HTTPS_BIND: _https, ...rest } = local.env;
    const agent = await startAppliance({ marathonUrl: sim.url, env: { ...rest, HAPROXY_SERVICE_BIND: `${loopback},${bridge}` } });
    try {
      await agent.waitReady();
      expect(agent.env.BAMBOO_ZK_HOST).toBeUndefined();
      for (const host of [loopback, bridge]) {
        await eventually(`/cache on ${host}`, async () => {
          const client = await EchoClient.open(host, servicePort("/cache", 0)).catch(() => null);
          client?.close();
          return client?.task === running("/cache")[0];
        });
        const answer = await fetch(`http://${host}:${servicePort("/shop", 0)}/`);
        expect(running("/shop")).toContain(await answer.text());
      }
    } finally {
      await agent.stop();
    }
  });
});
