/**
 * Issue 3 item 9: bamboo against 1,000 and 10,000 Marathon apps.
 *
 *   node_modules/.bin/bun scripts/bench/marathon-scale.ts [--apps 1000,10000] [--samples 100] [--with-ui]
 *
 * For each size: every app has one task, each a real server of the simulator (10,000 Bun
 * servers take the simulator about half a minute to start; they are deployed before bamboo
 * starts, so bamboo sees them in its first full sync rather than as 30,000 events). Then:
 *  - event→routable: one at a time, a probed app is scaled up by one; the time from the
 *    scale call (the simulator's TASK_RUNNING) to the first request HAProxy sends to the
 *    new task (see first-hit.ts). Probed apps run 2 instances, which get 4 server slots
 *    (src/haproxy/slots.ts), and rotate so each is scaled up at most twice: within its slots.
 *  - an event storm: 500 apps scaled 1→2 as fast as the simulator can (deployment_info,
 *    TASK_RUNNING and deployment_success each, 1,500 events); the /v2 requests bamboo made
 *    for it (counted by the simulator), per 1,000 events.
 *  - memory of the bamboo process (VmRSS now, VmHWM peak) and of HAProxy's worker.
 * With --with-ui, the web UI's live overview stream (`GET /api/events`) is read throughout
 * the event→routable samples, as when someone keeps the page open.
 */
import { MarathonSim } from "../../test/support/marathon-sim.ts";
import { probeUntilHit, watchFirstHit } from "./first-hit.ts";
import { arg, fmt, machineLine, memoryMiB, percentile, printTable, restRequests, startBamboo, until, verdict, waitReady, type BenchBamboo } from "./support.ts";

const PROBED_APPS = 50;
const PROBED_INSTANCES = 2;
const STORM_APPS = 500;

interface SizeFigures {
  readonly apps: number;
  readonly deploySeconds: number;
  readonly readySeconds: number;
  readonly latencies: readonly number[];
  readonly unroutable: number;
  readonly stormEvents: number;
  readonly stormRequests: number;
  readonly stormSeconds: number;
  /** Reloads during the storm: 1→2 outgrows a single-instance app's one slot (src/haproxy/slots.ts). */
  readonly stormReloads: number;
  readonly bamboo: { rss: number; peak: number };
  readonly haproxyWorker: { rss: number; peak: number } | null;
}

const appId = (i: number) => `/scale/app${String(i).padStart(5, "0")}`;

async function measureLatencies(sim: MarathonSim, bamboo: BenchBamboo, samples: number): Promise<{ latencies: number[]; unroutable: number }> {
  const latencies: number[] = [];
  let unroutable = 0;
  for (let s = 0; s < samples; s++) {
    const id = appId(s % PROBED_APPS);
    const tasks = sim.tasks(id);
    const known = new Set(tasks.map((t) => t.id));
    const start = performance.now();
    const fresh = (await sim.scale(id, tasks.length + 1)).find((t) => !known.has(t.id));
    if (!fresh) continue;
    const hit = await probeUntilHit(`${bamboo.http}${id}`, watchFirstHit(fresh, []), 5_000);
    if (hit === null) unroutable++;
    else latencies.push(hit - start);
  }
  return { latencies, unroutable };
}

/** Scales STORM_APPS apps 1→2 at once; returns events sent, bamboo's requests, time to quiet. */
async function storm(sim: MarathonSim, bamboo: BenchBamboo, apps: number): Promise<{ events: number; requests: number; seconds: number }> {
  const before = restRequests(sim);
  const eventsBefore = sim.eventsPublished;
  const start = performance.now();
  const ids = Array.from({ length: Math.min(STORM_APPS, apps - PROBED_APPS) }, (_, i) => appId(PROBED_APPS + i));
  for (const id of ids) await sim.scale(id, 2);
  const events = sim.eventsPublished - eventsBefore;
  // Quiet: no Marathon request and no runtime operation for one second.
  let last = { requests: -1, ops: -1 };
  let quietSince = performance.now();
  await until(async () => {
    const now = { requests: restRequests(sim), ops: (await bamboo.status()).haproxy.runtimeOperations };
    if (now.requests !== last.requests || now.ops !== last.ops) quietSince = performance.now();
    last = now;
    return performance.now() - quietSince > 1_000;
  }, 120_000, 100);
  return { events, requests: restRequests(sim) - before, seconds: (quietSince - start) / 1000 };
}

async function measureSize(apps: number, samples: number): Promise<SizeFigures> {
  const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
  let bamboo: BenchBamboo | null = null;
  try {
    const deployStart = performance.now();
    for (let i = 0; i < apps; i++) await sim.deployApp({ id: appId(i), instances: i < PROBED_APPS ? PROBED_INSTANCES : 1 });
    const deploySeconds = (performance.now() - deployStart) / 1000;
    bamboo = await startBamboo(sim.url);
    const readySeconds = (await waitReady(bamboo, 300_000)) / 1000;
    const b = bamboo;
    const probed = Array.from({ length: PROBED_APPS }, (_, i) => appId(i));
    const routed = await until(async () => (await Promise.all(probed.map((id) => fetch(`${b.http}${id}`).then((r) => r.status === 200, () => false)))).every(Boolean), 60_000, 200);
    if (!routed) throw new Error(`probed apps not routed; see ${b.logPath}`);
    // --with-ui: a browser's live overview stream stays open while the samples are taken.
    const viewer = new AbortController();
    if (process.argv.includes("--with-ui")) {
      const reader = (await fetch(`${b.api}/api/events`, { headers: b.auth, signal: viewer.signal })).body!.getReader();
      void (async () => {
        while (!(await reader.read()).done);
      })().catch(() => undefined);
    }
    const { latencies, unroutable } = await measureLatencies(sim, b, samples).finally(() => viewer.abort());
    const reloadsBefore = (await b.status()).haproxy.reloads;
    const stormFigures = await storm(sim, b, apps);
    // A reload at 10,000 apps takes seconds to be confirmed, after the storm looks quiet.
    await until(async () => (await b.status()).haproxy.reloads > reloadsBefore, 15_000, 250);
    const status = await b.status();
    const workerPid = status.haproxy.workerPid;
    return {
      apps,
      deploySeconds,
      readySeconds,
      latencies,
      unroutable,
      stormEvents: stormFigures.events,
      stormRequests: stormFigures.requests,
      stormSeconds: stormFigures.seconds,
      stormReloads: status.haproxy.reloads - reloadsBefore,
      bamboo: await memoryMiB(b.pid),
      haproxyWorker: workerPid ? await memoryMiB(workerPid).catch(() => null) : null,
    };
  } finally {
    await bamboo?.stop();
    await sim.stop();
  }
}

async function main(): Promise<void> {
  const sizes = arg("--apps", "1000,10000").split(",").map(Number);
  const samples = Number(arg("--samples", "100"));
  console.log(`marathon-scale benchmark · ${await machineLine()}`);
  const results: SizeFigures[] = [];
  for (const apps of sizes) {
    console.log(`… ${apps} apps`);
    results.push(await measureSize(apps, samples));
  }
  printTable(
    `bamboo with N Marathon apps (1 task each); ${samples} event→routable samples per size, one at a time${process.argv.includes("--with-ui") ? ", the UI's live stream open" : ""}`,
    ["apps", "sim deploy", "bamboo ready", "event→routable p50", "p90", "p99", "max", "unreached", "target p99 < 100 ms"],
    results.map((r) => [
      String(r.apps),
      `${fmt(r.deploySeconds)} s`,
      `${fmt(r.readySeconds)} s`,
      `${fmt(percentile(r.latencies, 50))} ms`,
      `${fmt(percentile(r.latencies, 90))} ms`,
      `${fmt(percentile(r.latencies, 99))} ms`,
      `${fmt(Math.max(...r.latencies))} ms`,
      String(r.unroutable),
      r.apps >= 10_000 ? verdict(percentile(r.latencies, 99) < 100 && r.unroutable === 0) : "(at 10,000 apps)",
    ]),
  );
  printTable(
    "Event storm and memory",
    ["apps", "storm events", "Marathon requests", "per 1,000 events", "storm → quiet", "storm reloads", "bamboo RSS", "bamboo peak RSS", "haproxy worker RSS"],
    results.map((r) => [
      String(r.apps),
      String(r.stormEvents),
      String(r.stormRequests),
      fmt((r.stormRequests * 1000) / r.stormEvents),
      `${fmt(r.stormSeconds)} s`,
      String(r.stormReloads),
      `${fmt(r.bamboo.rss, 0)} MiB`,
      `${fmt(r.bamboo.peak, 0)} MiB`,
      r.haproxyWorker ? `${fmt(r.haproxyWorker.rss, 0)} MiB` : "n/a",
    ]),
  );
}

await main();
process.exit(0);
