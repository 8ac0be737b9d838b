/**
 * Issue 16 item 7: does routing stay fast as apps grow, and does a rule write route at once
 * without a reload?
 *
 *   node_modules/.bin/bun scripts/bench/routing.ts [--sizes 1,1000,5000,10000] [--seconds 5] [--samples 3] [--writes 100] [--suffix]
 *
 * For each size N: N apps of one task each in the Marathon simulator, then two runs of
 * dist/bamboo against them:
 *  - host-routed: every app has its own rule `hdr(host) -i app-<i>.example`, seeded into the
 *    file store before bamboo starts (see support.ts: 10,000 writes through the API would
 *    each reload while routing is a chain, far beyond this benchmark's time);
 *  - path-routed: no rules, every app routed by its default `path_beg -i /<id>`;
 *  - with --suffix, suffix-routed: every app has `hdr_end(host) -i .app-<i>.example`, which no
 *    map serves: the chain's cost, for deciding whether host suffixes need lookups too.
 * In each, wrk sends keep-alive requests to the app HAProxy's frontend tests last (the last
 * of the running config's Routes), --samples times. Each sample is paired with one of the
 * same length just before it against a reference appliance that runs all along with 1 app
 * routed the same way; the ratio is the median of the pairs' ratios. This VM's rates drift by
 * a fifth and more between minutes, which a 1-app run at the start compared with 10,000 apps
 * ten minutes later took for the routing's cost.
 * At the largest size, on the host-routed run: the RSS of bamboo and of HAProxy's worker, then
 * up to --writes rule writes through the API, one at a time, each moving one app to a new
 * host; write → routable is the time from sending the write to the first request for the new
 * host that reaches the app's task, and reloads are counted over all writes.
 * Every loop is bounded in count and time; prints PASS/FAIL per target and exits 0.
 */
import { MarathonSim } from "../../test/support/marathon-sim.ts";
import { arg, fmt, machineLine, memoryMiB, percentile, printTable, startBamboo, until, verdict, waitReady, type BenchBamboo, type BenchService } from "./support.ts";
import { startLoad } from "./wrk.ts";

/** Keep-alive load as fast as it goes: few enough connections that the 2 cores are not swamped by wrk itself. */
const LOAD = { connections: 20, threads: 1, delayMs: 0 } as const;
const WRITE_PROBE_TIMEOUT_MS = 10_000;
/** The write phase stops after this long whatever --writes says: under chain routing each write reloads. */
const WRITES_MAX_SECONDS = 180;

/** `suffix` (with --suffix): every app has `hdr_end(host) -i .app-<i>.example`, a rule no map serves (issue 16 item 1). */
type Routing = "host" | "path" | "suffix";

interface RateFigure {
  readonly apps: number;
  readonly routing: Routing;
  readonly target: string;
  /** Medians of the samples: of this size's appliance, and of the 1-app reference's paired samples. */
  readonly requestsPerSecond: number;
  readonly referencePerSecond: number;
  /** Each sample's rate over its reference sample's, in order, and their median. */
  readonly ratios: readonly number[];
  readonly ratio: number;
  readonly failed: number;
}

/** An appliance and the request that reaches the route its frontend tests last. */
interface LoadTarget {
  readonly bamboo: BenchBamboo;
  readonly path: string;
  readonly headers: Record<string, string>;
}

interface WriteFigures {
  readonly latencies: readonly number[];
  readonly unroutable: number;
  readonly writes: number;
  readonly reloads: number;
}

interface Memory {
  readonly bamboo: { rss: number; peak: number };
  readonly haproxyWorker: { rss: number; peak: number } | null;
}

const appId = (i: number) => `/routing/app${String(i).padStart(5, "0")}`;
const hostOf = (i: number) => `app-${i}.example`;

/** The route HAProxy's frontend tests last, as the running config's template data orders them. */
async function lastRoute(bamboo: BenchBamboo): Promise<{ id: string; acl: string }> {
  const state = (await (await fetch(`${bamboo.api}/api/state`, { headers: bamboo.auth })).json()) as { Routes: { Id: string; Acl: string }[] };
  const last = state.Routes.at(-1);
  if (!last) throw new Error("the running config has no routes");
  return { id: last.Id, acl: last.Acl };
}

/** How to reach a route: the host its rule names, or the path of the app's default rule. */
function requestFor(route: { id: string; acl: string }): { path: string; headers: Record<string, string> } {
  const suffix = /hdr_end\(host\) -i (\S+)/.exec(route.acl)?.[1];
  if (suffix) return { path: "/", headers: { Host: `www${suffix}` } };
  const host = /hdr\(host\) -i (\S+)/.exec(route.acl)?.[1];
  return host ? { path: "/", headers: { Host: host } } : { path: route.id, headers: {} };
}

async function routes(bamboo: BenchBamboo, path: string, headers: Record<string, string>): Promise<boolean> {
  return fetch(`${bamboo.http}${path}`, { headers }).then((r) => r.status === 200, () => false);
}

/** Waits until the route the frontend tests last answers, and says how to reach it. */
async function loadTarget(bamboo: BenchBamboo): Promise<LoadTarget> {
  const route = await lastRoute(bamboo);
  const { path, headers } = requestFor(route);
  if (!(await until(() => routes(bamboo, path, headers), 60_000, 200))) throw new Error(`${route.id} not routed; see ${bamboo.logPath}`);
  return { bamboo, path, headers };
}

async function sampleRate(target: LoadTarget, seconds: number): Promise<{ rate: number; failed: number }> {
  const load = await startLoad({ ...LOAD, base: target.bamboo.http, paths: [target.path], headers: target.headers, maxSeconds: seconds + 30 });
  await Bun.sleep(seconds * 1000);
  const result = await load.stop();
  return { rate: result.requests / result.seconds, failed: result.failed };
}

/** `samples` wrk runs, each just after one against the 1-app reference: medians and the median ratio. */
async function measureRate(bamboo: BenchBamboo, reference: LoadTarget, apps: number, routing: Routing, seconds: number, samples: number): Promise<RateFigure> {
  const target = await loadTarget(bamboo);
  const [rates, referenceRates, ratios]: number[][] = [[], [], []];
  let failed = 0;
  for (let sample = 0; sample < samples; sample++) {
    const before = await sampleRate(reference, seconds);
    const measured = await sampleRate(target, seconds);
    rates.push(measured.rate);
    referenceRates.push(before.rate);
    ratios.push(measured.rate / before.rate);
    failed += measured.failed + before.failed;
  }
  return {
    apps,
    routing,
    target: target.headers.Host ? `Host ${target.headers.Host}` : target.path,
    requestsPerSecond: percentile(rates, 50),
    referencePerSecond: percentile(referenceRates, 50),
    ratios,
    ratio: percentile(ratios, 50),
    failed,
  };
}

/** Moves apps to new hosts one write at a time; each write is timed until the app's task answers for the new host. */
async function measureWrites(sim: MarathonSim, bamboo: BenchBamboo, apps: number, writes: number): Promise<WriteFigures> {
  const latencies: number[] = [];
  let unroutable = 0;
  let done = 0;
  const reloadsBefore = (await bamboo.status()).haproxy.reloads;
  const deadline = performance.now() + WRITES_MAX_SECONDS * 1000;
  for (let w = 0; w < writes && performance.now() < deadline; w++) {
    // Spread over the chain, so the moved rules are not all at one end of it.
    const id = appId(Math.floor((w * apps) / writes));
    const host = `moved-${w}.example`;
    const tasks = new Set(sim.tasks(id).map((task) => task.id));
    const start = performance.now();
    const answer = await fetch(`${bamboo.api}/api/services/${id}`, {
      method: "PUT",
      headers: { ...bamboo.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ acl: `hdr(host) -i ${host}` }),
    });
    if (!answer.ok) throw new Error(`write ${w} answered ${answer.status}: ${await answer.text()}`);
    done++;
    const reached = await until(
      () => fetch(`${bamboo.http}/`, { headers: { Host: host } }).then((r) => r.status === 200 && tasks.has(r.headers.get("X-Task-Id") ?? ""), () => false),
      WRITE_PROBE_TIMEOUT_MS,
      5,
    );
    if (reached) latencies.push(performance.now() - start);
    else unroutable++;
  }
  // A reload is counted once confirmed: give the last write's a moment to be.
  await Bun.sleep(2_000);
  return { latencies, unroutable, writes: done, reloads: (await bamboo.status()).haproxy.reloads - reloadsBefore };
}

interface SizeFigures {
  readonly rates: RateFigure[];
  readonly writes: WriteFigures | null;
  readonly memory: Memory | null;
  /** What stopped a run, with the end of bamboo's log: the figures measured before it are kept. */
  readonly failures: string[];
}

async function logTail(bamboo: BenchBamboo, lines: number): Promise<string> {
  const text = await Bun.file(bamboo.logPath).text().catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Each app's rule: none when path-routed, then every app is routed by its default `path_beg -i /<id>`. */
function servicesFor(routing: Routing, apps: number): BenchService[] {
  return routing === "path" ? [] : Array.from({ length: apps }, (_, i) => ({ id: appId(i), acl: routing === "host" ? `hdr(host) -i ${hostOf(i)}` : `hdr_end(host) -i .${hostOf(i)}` }));
}

/** The 1-app appliances every size's samples are paired with, one per routing, on one simulator. */
async function startReferences(routings: readonly Routing[]): Promise<{ targets: Map<Routing, LoadTarget>; stop: () => Promise<void> }> {
  const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
  const started: BenchBamboo[] = [];
  const targets = new Map<Routing, LoadTarget>();
  const stop = async () => {
    for (const bamboo of started) await bamboo.stop();
    await sim.stop();
  };
  try {
    await sim.deployApp({ id: appId(0), instances: 1 });
    for (const routing of routings) {
      const bamboo = await startBamboo(sim.url, {}, servicesFor(routing, 1));
      started.push(bamboo);
      await waitReady(bamboo, 60_000);
      targets.set(routing, await loadTarget(bamboo));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { targets, stop };
}

async function measureSize(apps: number, seconds: number, samples: number, writes: number, largest: boolean, references: ReadonlyMap<Routing, LoadTarget>): Promise<SizeFigures> {
  const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
  const rates: RateFigure[] = [];
  let writeFigures: WriteFigures | null = null;
  let memory: Memory | null = null;
  const failures: string[] = [];
  try {
    for (let i = 0; i < apps; i++) await sim.deployApp({ id: appId(i), instances: 1 });
    for (const [routing, reference] of references) {
      const bamboo = await startBamboo(sim.url, {}, servicesFor(routing, apps));
      try {
        await waitReady(bamboo, 300_000);
        rates.push(await measureRate(bamboo, reference, apps, routing, seconds, samples));
        if (largest && routing === "host") {
          const workerPid = (await bamboo.status()).haproxy.workerPid;
          memory = { bamboo: await memoryMiB(bamboo.pid), haproxyWorker: workerPid ? await memoryMiB(workerPid).catch(() => null) : null };
          writeFigures = await measureWrites(sim, bamboo, apps, writes);
        }
      } catch (error) {
        failures.push(`${apps} apps, ${routing}-routed: ${(error as Error).message}\n${await logTail(bamboo, 5)}`);
      } finally {
        await bamboo.stop();
      }
    }
  } finally {
    await sim.stop();
  }
  return { rates, writes: writeFigures, memory, failures };
}

async function main(): Promise<void> {
  const sizes = arg("--sizes", "1,1000,5000,10000").split(",").map(Number).sort((a, b) => a - b);
  const seconds = Number(arg("--seconds", "5"));
  const samples = Number(arg("--samples", "3"));
  const writes = Number(arg("--writes", "100"));
  const largest = sizes.at(-1)!;
  console.log(`routing benchmark · ${await machineLine()}`);
  const rates: RateFigure[] = [];
  let writeFigures: WriteFigures | null = null;
  let memory: Memory | null = null;
  const failures: string[] = [];
  const references = await startReferences(process.argv.includes("--suffix") ? ["path", "host", "suffix"] : ["path", "host"]);
  try {
    for (const apps of sizes) {
      console.log(`… ${apps} apps`);
      const figures = await measureSize(apps, seconds, samples, writes, apps === largest, references.targets);
      rates.push(...figures.rates);
      writeFigures ??= figures.writes;
      memory ??= figures.memory;
      failures.push(...figures.failures);
    }
  } finally {
    await references.stop();
  }

  printTable(
    `Keep-alive req/s to the app the frontend tests last (wrk ${LOAD.connections} connections, ${samples} samples of ${seconds} s, each just after one to a 1-app appliance routed the same way): medians, and the median of the pairs' ratios`,
    ["apps", "routing", "request", "req/s", "1 app req/s", "failed", "pairs' ratios", "ratio", "target ≥ 0.9"],
    rates.map((r) => [
      String(r.apps),
      r.routing,
      r.target,
      fmt(r.requestsPerSecond, 0),
      fmt(r.referencePerSecond, 0),
      String(r.failed),
      r.ratios.map((ratio) => fmt(ratio, 2)).join(" "),
      fmt(r.ratio, 2),
      verdict(r.ratio >= 0.9),
    ]),
  );
  if (writeFigures) {
    const w = writeFigures;
    const p99 = percentile(w.latencies, 99);
    printTable(
      `Rule writes at ${largest} apps: ${w.writes} writes through the API, one at a time (at most ${WRITES_MAX_SECONDS} s)`,
      ["figure", "measured", "target", "verdict"],
      [
        ["write → routable p50", `${fmt(percentile(w.latencies, 50))} ms`, "", ""],
        ["write → routable p99", `${fmt(p99)} ms`, "≤ 100 ms", verdict(p99 <= 100 && w.unroutable === 0)],
        ["writes never routed in 10 s", String(w.unroutable), "0", verdict(w.unroutable === 0)],
        ["reloads per write", fmt(w.writes > 0 ? w.reloads / w.writes : NaN, 2), "0", verdict(w.reloads === 0)],
      ],
    );
  }
  if (memory) {
    printTable(
      `Memory at ${largest} host-routed apps (before the writes)`,
      ["process", "RSS", "peak RSS", "target", "verdict"],
      [
        ["bamboo", `${fmt(memory.bamboo.rss, 0)} MiB`, `${fmt(memory.bamboo.peak, 0)} MiB`, "peak ≤ 150 MiB", verdict(memory.bamboo.peak <= 150)],
        memory.haproxyWorker
          ? ["haproxy worker", `${fmt(memory.haproxyWorker.rss, 0)} MiB`, `${fmt(memory.haproxyWorker.peak, 0)} MiB`, "≤ 200 MiB", verdict(memory.haproxyWorker.rss <= 200)]
          : ["haproxy worker", "n/a", "n/a", "≤ 200 MiB", "FAIL"],
      ],
    );
  }
  for (const failure of failures) console.log(`\nnot measured: ${failure}`);
}

await main();
process.exit(0);
