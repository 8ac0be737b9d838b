/**
 * Issue 19 item 1: access logs must never slow routing.
 *
 *   node_modules/.bin/bun scripts/bench/access-log.ts [--seconds 5] [--samples 3]
 *
 * Three dist/bamboo instances on one simulated Marathon, one app with one task behind a host
 * rule: access logs off, JSON lines to bamboo's stdout (a file here, as a container's log
 * driver would take it), and JSON lines to a file bamboo appends to. In turn, `--samples`
 * times each, wrk keep-alive req/s to the app; each figure is the median of its samples (one
 * sample on this VM moves by up to a third). The lines written are counted against the
 * requests answered: a line per request, none lost under this load. What logging costs is
 * HAProxy's own work of formatting a line per request: plain HAProxy with `option httplog`
 * to a pipe loses as much on this 2-core VM (docs/benchmarks.md).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MarathonSim } from "../../test/support/marathon-sim.ts";
import { arg, fmt, machineLine, percentile, printTable, startBamboo, until, verdict, waitReady, type BenchBamboo } from "./support.ts";
import { startLoad } from "./wrk.ts";

const HOST = "shop.example";
const LOAD = { connections: 20, threads: 1, delayMs: 0 } as const;

const seconds = Number(arg("--seconds", "5"));
const samples = Number(arg("--samples", "3"));

console.log(`access log benchmark · ${await machineLine()}`);
const dir = await mkdtemp(join(tmpdir(), "bench-access-"));
const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
const instances: { name: string; bamboo: BenchBamboo; lines: () => Promise<number> }[] = [];
try {
  await sim.deployApp({ id: "/shop", instances: 1 });
  const rule = [{ id: "/shop", acl: `hdr(host) -i ${HOST}` }];
  const countLines = async (path: string) => (await readFile(path, "utf8").catch(() => "")).split("\n").filter((line) => line.startsWith("{")).length;
  const off = await startBamboo(sim.url, { HAPROXY_ACCESS_LOG: "off" }, rule);
  instances.push({ name: "off", bamboo: off, lines: async () => 0 });
  const toStdout = await startBamboo(sim.url, { HAPROXY_ACCESS_LOG: "json" }, rule);
  instances.push({ name: "JSON to bamboo's stdout", bamboo: toStdout, lines: () => countLines(toStdout.logPath) });
  const file = join(dir, "access.log");
  const toFile = await startBamboo(sim.url, { HAPROXY_ACCESS_LOG: "json", HAPROXY_ACCESS_LOG_TARGET: file }, rule);
  instances.push({ name: "JSON to a file", bamboo: toFile, lines: () => countLines(file) });
  for (const { bamboo } of instances) {
    await waitReady(bamboo, 60_000);
    const routed = () => fetch(`${bamboo.http}/`, { headers: { host: HOST } }).then((r) => r.status === 200, () => false);
    if (!(await until(routed, 30_000))) throw new Error(`not routed; see ${bamboo.logPath}`);
  }

  const rates = new Map<string, number[]>(instances.map(({ name }) => [name, []]));
  const answered = new Map<string, number>(instances.map(({ name }) => [name, 0]));
  let failed = 0;
  for (let sample = 0; sample < samples; sample++) {
    for (const { name, bamboo } of instances) {
      const load = await startLoad({ ...LOAD, base: bamboo.http, paths: ["/"], headers: { Host: HOST }, maxSeconds: seconds + 30 });
      await Bun.sleep(seconds * 1000);
      const result = await load.stop();
      rates.get(name)!.push(result.requests / result.seconds);
      answered.set(name, answered.get(name)! + result.requests);
      failed += result.failed;
    }
  }
  const baseline = percentile(rates.get("off")!, 50);
  const rows: string[][] = [];
  for (const { name, lines } of instances) {
    const median = percentile(rates.get(name)!, 50);
    // The readiness probes above add a line each: at least one per answered request.
    const written = name === "off" ? "" : String(await lines());
    rows.push([name, fmt(median, 0), fmt(median / baseline, 2), written, name === "off" ? "" : String(answered.get(name))]);
  }
  printTable(`Keep-alive req/s to one app with access logs off and on (wrk ${LOAD.connections} connections, median of ${samples} samples of ${seconds} s)`, ["access log", "req/s", "ratio to off", "lines written", "requests answered"], rows);
  console.log(`failed requests, all runs: ${failed} ${verdict(failed === 0)}`);
} finally {
  for (const { bamboo } of instances) await bamboo.stop();
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
}
