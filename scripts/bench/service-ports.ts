/**
 * Issue 20 item 7: traffic through the apps' service ports during task churn, next to the
 * same through the shared HTTP frontend, in one run.
 *
 *   node_modules/.bin/bun scripts/bench/service-ports.ts [--apps 20] [--seconds 8]
 *
 * 1. `--apps` apps in the Marathon simulator, 3 tasks each, each with an HTTP port (port 0,
 *    health-checked) and a TCP port whose tasks greet with their id and echo; dist/bamboo in front.
 * 2. Each measurement runs `--seconds` while Marathon-like task events (scale, kill, health
 *    flips; every app keeps a healthy task) hit every app, the measured one included:
 *    - keep-alive HTTP req/s to the first app through the shared frontend (its path rule) and
 *      through its HTTP service port;
 *    - HTTP with a new connection per request, the same two ways;
 *    - TCP connections per second to its TCP service port (connect, read the task's greeting,
 *      close), from a bounded pool of clients.
 * 3. Failures of each, the TCP connections again without task events (the control), and
 *    reloads during the whole run (the target is 0: churn goes through server slots on every port).
 * Prints the figures; exits 0 whatever they are.
 */
import { MarathonSim } from "../../test/support/marathon-sim.ts";
import { runChurn } from "./churn-events.ts";
import { arg, fmt, machineLine, printTable, startBamboo, until, verdict, waitReady, type BenchBamboo } from "./support.ts";
import { startLoad, type LoadResult } from "./wrk.ts";

const HEALTH_PATH = "/health";
/** Clients opening TCP connections at once. */
const TCP_CLIENTS = 20;
/** A connection that has not greeted after this long counts as failed. */
const TCP_TIMEOUT_MS = 5_000;

interface Rate {
  readonly perSecond: number;
  readonly done: number;
  readonly failed: number;
  readonly churnEvents: number;
}

/** Runs `measure` while task events hit every app; both end before the figures are read. */
async function duringChurn(
  sim: MarathonSim,
  bamboo: BenchBamboo,
  appIds: readonly string[],
  measure: () => Promise<{ done: number; failed: number; seconds: number }>,
  events = appIds.length * 6,
): Promise<Rate> {
  const churn = runChurn(sim, {
    appIds,
    events,
    concurrency: 4,
    killGraceMs: 500,
    unhealthyMs: 300,
    minTasks: 2,
    maxTasks: 4,
    healthPath: HEALTH_PATH,
    http: bamboo.http,
    probeTimeoutMs: 5_000,
  });
  const figures = await measure();
  return { perSecond: figures.done / figures.seconds, done: figures.done, failed: figures.failed, churnEvents: (await churn).events };
}

async function wrkFor(base: string, path: string, seconds: number, connectionClose: boolean): Promise<{ done: number; failed: number; seconds: number }> {
  const load = await startLoad({ base, paths: [path], connections: 20, threads: 1, delayMs: 0, maxSeconds: seconds, headers: connectionClose ? { Connection: "close" } : {} });
  await Bun.sleep(seconds * 1000);
  const result: LoadResult = await load.stop();
  return { done: result.requests - result.failed, failed: result.failed, seconds: result.seconds };
}

/** Connect, read the task's greeting line, close: as many times as `TCP_CLIENTS` clients manage in `seconds`. */
async function tcpConnections(host: string, port: number, seconds: number): Promise<{ done: number; failed: number; seconds: number }> {
  let done = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const once = () =>
    new Promise<boolean>((resolve) => {
      let greeted = false;
      const timer = setTimeout(() => resolve(false), TCP_TIMEOUT_MS);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        resolve(ok);
      };
      Bun.connect({
        hostname: host,
        port,
        socket: {
          data(socket, chunk) {
            if (!greeted && chunk.includes(10)) {
              greeted = true;
              socket.end();
              finish(true);
            }
          },
          close() {
            if (!greeted) finish(false);
          },
          error() {
            finish(false);
          },
          connectError() {
            finish(false);
          },
        },
      }).catch(() => finish(false));
    });
  await Promise.all(
    Array.from({ length: TCP_CLIENTS }, async () => {
      while (performance.now() < deadline) {
        if (await once()) done++;
        else failed++;
      }
    }),
  );
  return { done, failed, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const apps = Number(arg("--apps", "20"));
  const seconds = Number(arg("--seconds", "8"));
  console.log(`service-ports benchmark · ${await machineLine()}`);
  const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
  const appIds = Array.from({ length: apps }, (_, i) => `/ports/app${String(i + 1).padStart(3, "0")}`);
  for (const id of appIds) {
    await sim.deployApp({ id, instances: 3, healthChecks: [{ protocol: "HTTP", path: HEALTH_PATH, portIndex: 0 }], ports: [{ kind: "http", name: "http" }, { kind: "tcp", name: "echo" }] });
  }
  const bamboo = await startBamboo(sim.url);
  try {
    await waitReady(bamboo, 60_000);
    const [first] = appIds;
    const [httpPort, tcpPort] = sim.servicePorts(first!);
    const servicePortBase = `http://${bamboo.serviceHost}:${httpPort}`;
    const routed = await until(
      async () => (await fetch(`${bamboo.http}${first}`).then((r) => r.status === 200, () => false)) && (await fetch(servicePortBase).then((r) => r.status === 200, () => false)),
      30_000,
      200,
    );
    if (!routed) throw new Error(`the first app is not routed after 30 s; see ${bamboo.logPath}`);
    const before = await bamboo.status();
    const rows: [string, string, Rate][] = [];
    rows.push(["HTTP keep-alive", `shared frontend (${first})`, await duringChurn(sim, bamboo, appIds, () => wrkFor(bamboo.http, first!, seconds, false))]);
    rows.push(["HTTP keep-alive", `service port ${httpPort}`, await duringChurn(sim, bamboo, appIds, () => wrkFor(servicePortBase, "/", seconds, false))]);
    rows.push(["HTTP, connection per request", `shared frontend (${first})`, await duringChurn(sim, bamboo, appIds, () => wrkFor(bamboo.http, first!, seconds, true))]);
    rows.push(["HTTP, connection per request", `service port ${httpPort}`, await duringChurn(sim, bamboo, appIds, () => wrkFor(servicePortBase, "/", seconds, true))]);
    rows.push(["TCP connect + greeting + close", `service port ${tcpPort}`, await duringChurn(sim, bamboo, appIds, () => tcpConnections(bamboo.serviceHost, tcpPort!, seconds))]);
    // The same without task events: what fails above is churn's doing, not the listener's.
    rows.push(["TCP, no task events", `service port ${tcpPort}`, await duringChurn(sim, bamboo, appIds, () => tcpConnections(bamboo.serviceHost, tcpPort!, seconds), 0)]);
    const after = await bamboo.status();
    printTable(
      `Through one app's ports while task events hit all ${apps} apps (${seconds} s each)`,
      ["traffic", "through", "per second", "done", "failed", "task events"],
      rows.map(([traffic, through, rate]) => [traffic, through, fmt(rate.perSecond, 0), String(rate.done), String(rate.failed), String(rate.churnEvents)]),
    );
    const reloads = after.haproxy.reloads - before.haproxy.reloads;
    console.log(`\nreloads during the run: ${reloads} (target 0) ${verdict(reloads === 0)}; runtime operations: ${after.haproxy.runtimeOperations - before.haproxy.runtimeOperations}`);
    console.log("A failed TCP connection closed before its task greeted. A task that stops being routable (killed, health check failing) has its TCP connections closed at once (shutdown sessions), those still being set up too; HTTP requests in flight finish.");
  } finally {
    await bamboo.stop();
    await sim.stop();
  }
}

await main();
