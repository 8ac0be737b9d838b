/**
 * Issue 21 item 6: Marathon's load against the number of appliances, with one watcher per
 * cluster (ZooKeeper's fanout) and without it.
 *
 *   node_modules/.bin/bun scripts/bench/fanout.ts [--sizes 1,5,20] [--without 5,20] [--samples 40]
 *
 * A real ZooKeeper and the Marathon simulator with 100 apps (20 of them probed, 2 instances
 * each). For each size N, N appliances (dist/bamboo, each with its HAProxy) share one
 * ZooKeeper path, started one after another. Then the same churn for every size: --samples
 * scale-ups, one at a time, each of a probed app by one task (each app at most twice, within
 * its slots). Measured over the churn:
 *  - Marathon's REST requests (the simulator counts them; the event streams apart) and the
 *    most event streams open at once;
 *  - event → routable on a follower: from the scale call (the simulator's TASK_RUNNING) to
 *    the first request a follower's HAProxy sends to the new task, rotating over the
 *    followers (with one appliance, on it); and ZooKeeper's round trip, for the target
 *    "p99 ≤ 100 ms plus the ZooKeeper round trip".
 * --without runs the same sizes with BAMBOO_MARATHON_FANOUT=false, every appliance watching
 * Marathon itself, for comparison. Bounded in count and time; prints and exits 0.
 */
import { rawClient } from "../../test/store/raw-zk.ts";
import { MarathonSim } from "../../test/support/marathon-sim.ts";
import { startZooKeeper, type ZooKeeperServer } from "../../test/support/zookeeper.ts";
import { probeUntilHit, watchFirstHit } from "./first-hit.ts";
import { arg, fmt, machineLine, percentile, printTable, restRequests, startBamboo, until, verdict, waitReady, type BenchBamboo } from "./support.ts";

const APPS = 100;
const PROBED_APPS = 20;
const PROBED_INSTANCES = 2;
const PROBE_TIMEOUT_MS = 5_000;

interface Figures {
  readonly appliances: number;
  readonly fanout: boolean;
  readonly requests: number;
  readonly maxStreams: number;
  readonly latencies: readonly number[];
  readonly unroutable: number;
  readonly readySeconds: number;
  /** bamboo's own histograms, as means: the leader's writing of a version, and the followers' lag in reading it. */
  readonly publishMs: number;
  readonly lagMs: number;
  /** CPU time (user and system) of every bamboo and HAProxy worker over the churn, per scale-up. */
  readonly cpuMsPerEvent: number;
}

const sizesOf = (text: string) => text.split(",").filter(Boolean).map(Number);
const appId = (i: number) => `/fan/app${String(i).padStart(3, "0")}`;

async function measure(zk: ZooKeeperServer, size: number, fanout: boolean, samples: number, run: number): Promise<Figures> {
  const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
  const appliances: BenchBamboo[] = [];
  try {
    for (let i = 0; i < APPS; i++) await sim.deployApp({ id: appId(i), instances: i < PROBED_APPS ? PROBED_INSTANCES : 1 });
    const env = { BAMBOO_ZK_HOST: zk.connectionString, BAMBOO_ZK_PATH: `/bench-fanout-${run}/state`, BAMBOO_MARATHON_FANOUT: String(fanout) };
    const started = performance.now();
    for (let i = 0; i < size; i++) {
      const bamboo = await startBamboo(sim.url, env);
      appliances.push(bamboo);
      await waitReady(bamboo, 60_000);
    }
    const readySeconds = (performance.now() - started) / 1000;
    const roles = await Promise.all(appliances.map(async (bamboo) => (await bamboo.status()).cluster?.role ?? "alone"));
    const followers = appliances.filter((_, i) => roles[i] === "follower");
    const targets = followers.length > 0 ? followers : appliances;
    const probed = Array.from({ length: PROBED_APPS }, (_, i) => appId(i));
    for (const target of targets) {
      const routed = await until(async () => (await Promise.all(probed.map((id) => fetch(`${target.http}${id}`).then((r) => r.status === 200, () => false)))).every(Boolean), 30_000, 100);
      if (!routed) throw new Error(`probed apps not routed on ${target.api}; see ${target.logPath}`);
    }

    const workers = (await Promise.all(appliances.map(async (bamboo) => (await bamboo.status()).haproxy.workerPid))).filter((pid): pid is number => pid !== null);
    const pids = [...appliances.map((bamboo) => bamboo.pid), ...workers];
    const cpuBefore = await cpuMs(pids);
    const requestsBefore = restRequests(sim);
    let maxStreams = sim.openStreams;
    const streams = setInterval(() => (maxStreams = Math.max(maxStreams, sim.openStreams)), 50);
    const latencies: number[] = [];
    let unroutable = 0;
    try {
      for (let s = 0; s < samples; s++) {
        const id = probed[s % PROBED_APPS]!;
        const known = new Set(sim.tasks(id).map((task) => task.id));
        const target = targets[s % targets.length]!;
        const start = performance.now();
        const fresh = (await sim.scale(id, known.size + 1)).find((task) => !known.has(task.id));
        if (!fresh) continue;
        const hit = await probeUntilHit(`${target.http}${id}`, watchFirstHit(fresh, []), PROBE_TIMEOUT_MS);
        if (hit === null) unroutable++;
        else latencies.push(hit - start);
      }
      // Whatever the last events still cost, counted once everything is quiet.
      let last = -1;
      await until(() => {
        const now = restRequests(sim);
        const quiet = now === last;
        last = now;
        return quiet;
      }, 10_000, 500);
    } finally {
      clearInterval(streams);
    }
    const cpuMsPerEvent = ((await cpuMs(pids)) - cpuBefore) / samples;
    const means = await Promise.all(appliances.map(async (bamboo) => {
      const text = await (await fetch(`${bamboo.api}/metrics`, { headers: bamboo.auth })).text();
      return { publish: histogramMean(text, "bamboo_fanout_publish_seconds"), lag: histogramMean(text, "bamboo_fanout_lag_seconds") };
    }));
    const meanOf = (pick: (m: { publish: { sum: number; count: number }; lag: { sum: number; count: number } }) => { sum: number; count: number }) => {
      const total = means.map(pick).reduce((a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }), { sum: 0, count: 0 });
      return total.count === 0 ? NaN : (total.sum / total.count) * 1000;
    };
    return { appliances: size, fanout, requests: restRequests(sim) - requestsBefore, maxStreams, latencies, unroutable, readySeconds, publishMs: meanOf((m) => m.publish), lagMs: meanOf((m) => m.lag), cpuMsPerEvent };
  } finally {
    for (const bamboo of appliances) await bamboo.stop();
    await sim.stop();
  }
}

/** User and system CPU time of these processes so far, in ms (from /proc, 100 ticks a second). */
async function cpuMs(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await Bun.file(`/proc/${pid}/stat`).text().catch(() => "");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks * 10;
}

/** A histogram's sum and count from Prometheus text; zero when absent. */
function histogramMean(text: string, name: string): { sum: number; count: number } {
  const value = (suffix: string) => Number(new RegExp(`^${name}_${suffix} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return { sum: value("sum"), count: value("count") };
}

/** The median of 20 reads of a small node: what a follower's read of the manifest costs at least. */
async function zkRoundTripMs(zk: ZooKeeperServer): Promise<number> {
  const raw = await rawClient(zk.connectionString);
  try {
    await raw.mkdirp("/bench-fanout-rtt");
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await raw.get("/bench-fanout-rtt");
      times.push(performance.now() - start);
    }
    return percentile(times, 50);
  } finally {
    raw.close();
  }
}

async function main(): Promise<void> {
  const sizes = sizesOf(arg("--sizes", "1,5,20"));
  const without = sizesOf(arg("--without", "5,20"));
  const samples = Number(arg("--samples", "40"));
  if (samples > PROBED_APPS * 2) throw new Error(`--samples at most ${PROBED_APPS * 2}: each probed app grows by two tasks at most, within its slots`);
  console.log(`fanout benchmark · ${await machineLine()}`);
  const zk = await startZooKeeper();
  const results: Figures[] = [];
  let run = 0;
  try {
    const rtt = await zkRoundTripMs(zk);
    for (const [fanout, list] of [[true, sizes], [false, without]] as const) {
      for (const size of list) {
        console.log(`… ${size} appliance(s), fanout ${fanout ? "on" : "off"}`);
        results.push(await measure(zk, size, fanout, samples, run++));
      }
    }
    printTable(
      `${APPS} apps in the simulator; ${samples} scale-ups of one task each, one at a time; event → routable on ${"a follower (rotating)"}; ZooKeeper round trip ${fmt(rtt, 2)} ms`,
      ["appliances", "fanout", "Marathon requests", "per scale-up", "event streams (max open)", "event→routable p50", "p99", "unreached", "publish (mean)", "follower lag (mean)", "CPU per scale-up (all)", "started in", "target p99 ≤ 100 ms + ZK"],
      results.map((r) => [
        String(r.appliances),
        r.fanout ? "on" : "off",
        String(r.requests),
        fmt(r.requests / samples, 2),
        String(r.maxStreams),
        `${fmt(percentile(r.latencies, 50))} ms`,
        `${fmt(percentile(r.latencies, 99))} ms`,
        String(r.unroutable),
        r.fanout ? `${fmt(r.publishMs)} ms` : "",
        r.fanout ? `${fmt(r.lagMs)} ms` : "",
        `${fmt(r.cpuMsPerEvent)} ms`,
        `${fmt(r.readySeconds)} s`,
        r.fanout ? verdict(percentile(r.latencies, 99) <= 100 + rtt && r.unroutable === 0) : "(comparison)",
      ]),
    );
  } finally {
    await zk.stop();
  }
}

await main();
process.exit(0);
