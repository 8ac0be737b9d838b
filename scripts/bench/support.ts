/**
 * Shared setup for the benchmarks: a dist/bamboo of our own on loopback ports, its status and
 * memory, and the statistics and table printing every benchmark uses. Benchmarks print; they
 * never fail on a figure (exit 0 whatever was measured).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { basicAuth, freePorts } from "../../test/support/appliance.ts";

/** BAMBOO_BENCH_BIN benchmarks another build (or a wrapper that profiles it) instead of dist/bamboo. */
const DIST_BIN = process.env.BAMBOO_BENCH_BIN ?? new URL("../../dist/bamboo", import.meta.url).pathname;
const API_PASSWORD = "bench-secret";

/** The slice of GET /api/status the benchmarks read. */
export interface BenchStatus {
  readonly ready: boolean;
  readonly marathon: { readonly sync: { readonly marathonRequests: number } };
  /** With ZooKeeper's fanout: this appliance's role; null without. */
  readonly cluster: { readonly role: "leader" | "follower" | "candidate" } | null;
  readonly haproxy: {
    readonly reloads: number;
    readonly runtimeOperations: number;
    readonly failedReloads: number;
    readonly workerPid: number | null;
    readonly masterPid: number | null;
    readonly reloadReasons: Readonly<Record<string, number>>;
  };
}

export interface BenchBamboo {
  readonly api: string;
  /** The admin's credentials, for writes and every read (reads need credentials too). */
  readonly auth: Readonly<Record<string, string>>;
  /** `http://127.0.0.1:<port>`: HAProxy's HTTP frontend. */
  readonly http: string;
  readonly httpPort: number;
  /** The loopback address the apps' service ports listen on (HAPROXY_SERVICE_BIND). */
  readonly serviceHost: string;
  readonly pid: number;
  readonly logPath: string;
  status(): Promise<BenchStatus>;
  stop(): Promise<void>;
}

/**
 * Starts dist/bamboo against `marathonUrl`. The binary is copied first: another engineer
 * rebuilding dist/bamboo mid-run must not swap the executable under a long benchmark.
 * Logs go to a file, not memory: at 10,000 apps they are large and nobody reads them unless
 * something went wrong.
 */
export async function startBamboo(marathonUrl: string, env: Record<string, string> = {}, services: readonly BenchService[] = []): Promise<BenchBamboo> {
  const dir = await mkdtemp(join(tmpdir(), "bamboo-bench-"));
  if (services.length > 0) await seedServices(join(dir, "data"), services);
  const bin = join(dir, "bamboo");
  await copyFile(DIST_BIN, bin);
  const [apiPort, httpPort] = await freePorts(2);
  const logPath = join(dir, "bamboo.log");
  const serviceHost = `127.1.${apiPort! >> 8}.${apiPort! & 255}`;
  const proc: Subprocess = Bun.spawn([bin], {
    env: {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      MARATHON_ENDPOINT: marathonUrl,
      BAMBOO_BIND: `127.0.0.1:${apiPort}`,
      HAPROXY_HTTP_BIND: `127.0.0.1:${httpPort}`,
      // The apps' service ports: an address of this appliance's own, so no two compete for a port.
      HAPROXY_SERVICE_BIND: serviceHost,
      BAMBOO_DATA_DIR: join(dir, "data"),
      BAMBOO_API_PASSWORD: API_PASSWORD,
      HAPROXY_STATS_PASSWORD: "bench-stats",
      // Everything else stays at bamboo's defaults (1 s reload interval, 30 s hard-stop-after).
      ...env,
    },
    stdin: "ignore",
    stdout: Bun.file(logPath),
    stderr: Bun.file(join(dir, "bamboo.err")),
  });
  const api = `http://127.0.0.1:${apiPort}`;
  const auth = basicAuth("admin", API_PASSWORD);
  const status = async (): Promise<BenchStatus> => (await (await fetch(`${api}/api/status`, { headers: auth })).json()) as BenchStatus;
  return {
    api,
    auth,
    http: `http://127.0.0.1:${httpPort}`,
    httpPort,
    serviceHost,
    pid: proc.pid,
    logPath,
    status,
    async stop() {
      const master = await status().then((s) => s.haproxy.masterPid, () => null);
      proc.kill("SIGTERM");
      // The drain period (5 s by default) and HAProxy's graceful stop are not what we measure.
      const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
      if (!exited) {
        proc.kill("SIGKILL");
        // A SIGKILLed bamboo cannot stop its HAProxy: do it, so no benchmark leaves one behind.
        if (master) {
          try {
            process.kill(master, "SIGTERM");
          } catch {
            // Already gone.
          }
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A routing rule as the file store keeps it. */
export interface BenchService {
  readonly id: string;
  readonly acl: string;
}

/**
 * Writes rules into the file store before bamboo starts: storing thousands through the API
 * would reload HAProxy for nearly every write while routing is a chain of rules, and take
 * longer than the rest of a benchmark. The layout is src/store/services-file.ts's.
 */
async function seedServices(dataDir: string, services: readonly BenchService[]): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const body = { format: "bamboo-services/1", services: services.map((s) => ({ id: s.id, acl: s.acl, config: { Acl: s.acl } })) };
  await writeFile(join(dataDir, "services.json"), JSON.stringify(body));
}

/** The value after `name` on the command line (`--apps 1000`), or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}

/** The simulator's REST requests so far, the event streams apart: what the appliances asked of Marathon. */
export function restRequests(sim: { readonly requestLog: readonly { readonly path: string }[] }): number {
  return sim.requestLog.filter((request) => request.path !== "/v2/events").length;
}

/** Polls `probe` every `everyMs` until true; false once `timeoutMs` has passed. */
export async function until(probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe()) return true;
    await Bun.sleep(everyMs);
  }
  return false;
}

/** Waits until GET /status answers 200: first sync done and HAProxy serving. */
export async function waitReady(bamboo: BenchBamboo, timeoutMs: number): Promise<number> {
  const start = performance.now();
  const ok = await until(() => fetch(`${bamboo.api}/status`).then((r) => r.status === 200, () => false), timeoutMs, 50);
  if (!ok) throw new Error(`bamboo not ready after ${timeoutMs} ms; see ${bamboo.logPath}`);
  return performance.now() - start;
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
export async function memoryMiB(pid: number): Promise<{ rss: number; peak: number }> {
  const text = await Bun.file(`/proc/${pid}/status`).text();
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/** The nearest-rank percentile `p` (0..100) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

export function verdict(pass: boolean): string {
  return pass ? "PASS" : "FAIL";
}

/** Prints rows as a plain-text table with a header row, columns padded to their widest cell. */
export function printTable(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
}

/** One line that says when and where the figures were taken. */
export async function machineLine(): Promise<string> {
  const cpu = /model name\s*:\s*(.+)/.exec(await Bun.file("/proc/cpuinfo").text())?.[1] ?? "unknown CPU";
  const memKib = Number(/MemTotal:\s+(\d+)/.exec(await Bun.file("/proc/meminfo").text())?.[1] ?? 0);
  const haproxy = (await Bun.$`haproxy -v`.nothrow().quiet()).stdout.toString().split("\n")[0] ?? "";
  return `${new Date().toISOString()} · ${navigator.hardwareConcurrency} cores, ${cpu}, ${Math.round(memKib / 1048576)} GiB · Bun ${Bun.version} · ${haproxy.trim()}`;
}
