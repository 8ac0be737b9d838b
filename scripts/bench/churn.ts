/**
 * Issue 5 item 6: task churn under keep-alive load, and the cost of structural reloads next
 * to plain HAProxy's, in one run.
 *
 *   node_modules/.bin/bun scripts/bench/churn.ts
 *
 * 1. 100 health-checked apps (3 tasks each) in the Marathon simulator, dist/bamboo in front.
 * 2. Churn: 1,000 task events (scale up/down within slots, kills with a grace period, health
 *    flips) under wrk load spread over the 100 apps' paths: requests, failures, reloads,
 *    runtime operations, and event→routable latency of every new task.
 * 3. Structural: 10 new apps deployed one after another under the same load (10 reloads).
 * 4. The same 10 reloads of a standalone `haproxy -W` with a static config of the same apps,
 *    under the same load, without and with `option idle-close-on-response`.
 * Prints the figures next to the issue's targets; exits 0 whatever they are.
 */
import { MarathonSim } from "../../test/support/marathon-sim.ts";
import { runChurn, type ChurnResult } from "./churn-events.ts";
import { startPlainHAProxy, type StaticBackend } from "./plain-haproxy.ts";
import { fmt, machineLine, percentile, printTable, startBamboo, until, verdict, waitReady, type BenchBamboo, type BenchStatus } from "./support.ts";
import { startLoad, type LoadOptions, type LoadResult } from "./wrk.ts";

const APPS = 100;
const TASKS_PER_APP = 3;
const CHURN_EVENTS = 1_000;
const STRUCTURAL_RELOADS = 10;
/** Pause after each reload so old workers finish and reloads are not coalesced. */
const RELOAD_GAP_MS = 1_500;
const HEALTH_PATH = "/health";
/** 50 keep-alive connections, each pausing 10 ms after every answer: at most ~5,000 req/s. */
const LOAD = { connections: 50, threads: 2, delayMs: 10, maxSeconds: 240 } as const;

interface PhaseFigures {
  readonly load: LoadResult;
  readonly reloads: number;
  readonly runtimeOperations: number;
  readonly marathonRequests: number;
}

const delta = (before: BenchStatus, after: BenchStatus) => ({
  reloads: after.haproxy.reloads - before.haproxy.reloads,
  runtimeOperations: after.haproxy.runtimeOperations - before.haproxy.runtimeOperations,
  marathonRequests: after.marathon.sync.marathonRequests - before.marathon.sync.marathonRequests,
});

async function underLoad<T>(load: Omit<LoadOptions, keyof typeof LOAD>, work: () => Promise<T>): Promise<{ load: LoadResult; value: T }> {
  const running = await startLoad({ ...LOAD, ...load });
  // Let every connection be established and busy before anything changes.
  await Bun.sleep(1_000);
  const value = await work();
  // Trailing effects (an old worker closing connections) belong to the phase.
  await Bun.sleep(1_000);
  return { load: await running.stop(), value };
}

async function churnPhase(sim: MarathonSim, bamboo: BenchBamboo, appIds: readonly string[]): Promise<PhaseFigures & { churn: ChurnResult }> {
  const before = await bamboo.status();
  const { load, value: churn } = await underLoad({ base: bamboo.http, paths: appIds }, () =>
    runChurn(sim, {
      appIds,
      events: CHURN_EVENTS,
      concurrency: 8,
      killGraceMs: 500,
      unhealthyMs: 300,
      minTasks: 2,
      maxTasks: 6,
      healthPath: HEALTH_PATH,
      http: bamboo.http,
      probeTimeoutMs: 5_000,
    }),
  );
  return { load, churn, ...delta(before, await bamboo.status()) };
}

async function bambooReloadPhase(sim: MarathonSim, bamboo: BenchBamboo, appIds: readonly string[]): Promise<PhaseFigures> {
  const before = await bamboo.status();
  const { load } = await underLoad({ base: bamboo.http, paths: appIds }, async () => {
    for (let i = 1; i <= STRUCTURAL_RELOADS; i++) {
      const reloads = (await bamboo.status()).haproxy.reloads;
      await sim.deployApp({ id: `/fresh/app${String(i).padStart(3, "0")}`, instances: 2 });
      const confirmed = await until(async () => (await bamboo.status()).haproxy.reloads > reloads, 15_000, 50);
      if (!confirmed) console.error(`warning: no reload confirmed for new app ${i}`);
      await Bun.sleep(RELOAD_GAP_MS);
    }
  });
  return { load, ...delta(before, await bamboo.status()) };
}

interface PlainVariant {
  readonly idleCloseOnResponse: boolean;
  readonly closeSpreadTime?: string;
}

async function plainReloadPhase(sim: MarathonSim, appIds: readonly string[], variant: PlainVariant): Promise<{ load: LoadResult; reloads: number }> {
  const backends: StaticBackend[] = appIds.map((id) => ({
    path: id,
    servers: sim.tasks(id).filter((t) => t.state === "TASK_RUNNING").map((t) => ({ host: t.listenIp, port: t.port })),
  }));
  const plain = await startPlainHAProxy(backends, { ...variant, hardStopAfter: "30s" });
  let reloads = 0;
  try {
    const { load } = await underLoad({ base: plain.base, paths: appIds }, async () => {
      for (let i = 0; i < STRUCTURAL_RELOADS; i++) {
        if (await plain.reload()) reloads++;
        else console.error("warning: plain HAProxy reload not confirmed");
        await Bun.sleep(RELOAD_GAP_MS);
      }
    });
    return { load, reloads };
  } finally {
    await plain.stop();
  }
}

async function main(): Promise<void> {
  console.log(`churn benchmark · ${await machineLine()}`);
  const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
  const appIds = Array.from({ length: APPS }, (_, i) => `/churn/app${String(i + 1).padStart(3, "0")}`);
  for (const id of appIds) await sim.deployApp({ id, instances: TASKS_PER_APP, healthChecks: [{ protocol: "HTTP", path: HEALTH_PATH, portIndex: 0 }] });
  const bamboo = await startBamboo(sim.url);
  try {
    await waitReady(bamboo, 60_000);
    const routed = await until(async () => (await Promise.all(appIds.map((id) => fetch(`${bamboo.http}${id}`).then((r) => r.status === 200, () => false)))).every(Boolean), 30_000, 200);
    if (!routed) throw new Error(`not every app routed after 30 s; see ${bamboo.logPath}`);

    const churn = await churnPhase(sim, bamboo, appIds);
    const structural = await bambooReloadPhase(sim, bamboo, appIds);
    const plain = await plainReloadPhase(sim, appIds, { idleCloseOnResponse: false });
    const plainIdleClose = await plainReloadPhase(sim, appIds, { idleCloseOnResponse: true });
    // bamboo's template sets both; this row tells whether their combination is what costs.
    const plainBoth = await plainReloadPhase(sim, appIds, { idleCloseOnResponse: true, closeSpreadTime: "5s" });
    report(churn, structural, plain, plainIdleClose, plainBoth);
  } finally {
    await bamboo.stop();
    await sim.stop();
  }
}

type PlainFigures = { load: LoadResult; reloads: number };

function report(churn: PhaseFigures & { churn: ChurnResult }, structural: PhaseFigures, plain: PlainFigures, plainIdleClose: PlainFigures, plainBoth: PlainFigures): void {
  const c = churn.churn;
  const kinds = Object.entries(c.byKind).map(([k, n]) => `${k} ${n}`).join(", ");
  printTable(
    `Churn: ${c.events} events over ${APPS} apps in ${fmt(c.seconds)} s (${kinds}); wrk ${LOAD.connections} keep-alive connections, ${LOAD.delayMs} ms pause per answer`,
    ["figure", "measured", "target", "verdict"],
    [
      ["requests sent", String(churn.load.requests), "", ""],
      ["failed requests", failedText(churn.load), "0", verdict(churn.load.failed === 0)],
      ["reloads", String(churn.reloads), "0", verdict(churn.reloads === 0)],
      ["runtime operations", String(churn.runtimeOperations), "", ""],
      ["Marathon requests by bamboo", String(churn.marathonRequests), "", ""],
      ["new tasks measured", `${c.latencies.length} (+${c.unroutable} never reached in 5 s)`, "", verdict(c.unroutable === 0)],
      ["event→routable p50", `${fmt(percentile(c.latencies, 50))} ms`, "", ""],
      ["event→routable p99", `${fmt(percentile(c.latencies, 99))} ms`, "< 100 ms", verdict(percentile(c.latencies, 99) < 100)],
      ["event→routable max", `${fmt(Math.max(...c.latencies))} ms`, "", ""],
    ],
  );
  const perReload = (load: LoadResult, reloads: number) => (reloads > 0 ? load.failed / reloads : NaN);
  const bambooRate = perReload(structural.load, structural.reloads);
  const plainRate = perReload(plain.load, plain.reloads);
  printTable(
    `Structural reloads under the same load (${STRUCTURAL_RELOADS} each, ${RELOAD_GAP_MS} ms apart)`,
    ["setup", "reloads", "requests", "failed", "failed per reload", "verdict"],
    [
      ["bamboo (new app each)", String(structural.reloads), String(structural.load.requests), failedText(structural.load), fmt(bambooRate, 2), `${verdict(bambooRate <= plainRate)} (≤ plain HAProxy)`],
      ["plain haproxy -W, static cfg", String(plain.reloads), String(plain.load.requests), failedText(plain.load), fmt(plainRate, 2), "reference"],
      ["plain + idle-close-on-response", String(plainIdleClose.reloads), String(plainIdleClose.load.requests), failedText(plainIdleClose.load), fmt(perReload(plainIdleClose.load, plainIdleClose.reloads), 2), "reference"],
      ["plain + idle-close + close-spread-time 5s", String(plainBoth.reloads), String(plainBoth.load.requests), failedText(plainBoth.load), fmt(perReload(plainBoth.load, plainBoth.reloads), 2), "diagnostic"],
    ],
  );
}

function failedText(load: LoadResult): string {
  if (load.failed === 0) return "0";
  const parts = [["connect", load.connectErrors], ["read", load.readErrors], ["write", load.writeErrors], ["timeout", load.timeouts], ["status≥400", load.badStatus]] as const;
  return `${load.failed} (${parts.filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ")})`;
}

await main();
process.exit(0);
