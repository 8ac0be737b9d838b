import { parseStatCsv, type StatRow } from "../haproxy/stat-csv.ts";
import type { TrafficPoint, TrafficSample, TrafficSampling } from "../http/ui/api-types.ts";
import { ownerOfName } from "../routing/ids.ts";
import { errorMessage } from "../system/error-message.ts";
import { detachedString } from "../system/flat-string.ts";
import type { Logger } from "../system/log.ts";
import { countSince, deltaOf, pointOf, sumPoints, type Counters } from "./rates.ts";
import { TrafficWindow, type ServerPoint } from "./window.ts";

export interface TrafficSamplerSettings {
  /** 0: not sampled (BAMBOO_TRAFFIC_INTERVAL=off). */
  readonly intervalMs: number;
  readonly windowMs: number;
  /** Apps whose per-server split is taken each sample: the busiest ones. */
  readonly serverSplitLimit: number;
}

export interface TrafficSamplerDeps {
  /**
   * Each row of one `show stat` command's answer, as it is read (the backends' answer is 2.4 MB
   * at 10,000 apps); rejects when HAProxy cannot be asked or answers with anything but its CSV.
   */
  readonly readStat: (command: string, onRow: (row: StatRow) => void) => Promise<void>;
  /** Several commands in as few connections as possible, one answer each. */
  readonly askEach: (commands: readonly string[]) => Promise<string[]>;
  /** Whether a HAProxy worker runs to be asked. */
  readonly running: () => boolean;
  /** Changes whenever HAProxy's worker is replaced (a reload or restart), whose counters start at zero. */
  readonly generation: () => number;
  /** The apps HAProxy runs, with the escaped ids their sections are named after; the same array while they are the same. */
  readonly apps: () => readonly { readonly Id: string; readonly EscapedId: string }[];
  readonly log: Logger;
  readonly now?: () => number;
}

/** Each app's counts since bamboo started, for /metrics: monotonic across reloads. */
export interface AppTotals {
  readonly requests: number;
  readonly errors: number;
  /** HAProxy's mean response time of the app's last 1,024 requests, as last sampled. */
  readonly responseMs: number | null;
}

export interface TrafficSamplerStatus extends TrafficSampling {
  readonly intervalMs: number;
  readonly lastSampleAt: number | null;
  /** How long the last sample took bamboo: asking HAProxy and reading its answer. */
  readonly lastCostMs: number;
}

/**
 * Sampling may take about a hundredth of the time. At 10,000 backends HAProxy spends about
 * 0.1 s on each dump (2.4 MB) that bamboo then reads; a sample every 5 s made a rule write
 * at 10,000 apps 50-60 ms slower at p99 (120-130 ms against 71 ms unsampled). With this
 * share such a dump comes every 15 s or so; at 1,000 apps still every interval.
 */
const WORK_SHARE = 100;

/**
 * Samples HAProxy's counters every interval into a {@link TrafficWindow}, for the UI's charts
 * and per-app metrics. When no frontend counted a request since the last sample, no backend
 * can have either, and the backends' dump (the costly part at 10,000 apps) is skipped. The
 * per-server split is taken only for the busiest apps: every server of every app would be a
 * dump of all server slots each time.
 */
export class TrafficSampler {
  readonly window: TrafficWindow;
  readonly #listeners = new Set<(sample: TrafficSample) => void>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  #sampling: TrafficSampling;
  #lastSampleAt: number | null = null;
  #lastCostMs = 0;
  /** A failure to read HAProxy's counters was logged and its recovery was not yet. */
  #warned = false;
  /** The last reading: when, of which worker, the frontends' sum, every backend's and split server's counters. */
  #previous: { at: number; generation: number; frontends: number; backends: Map<string, BackendCounts>; servers: Map<string, ServerReading> } | null = null;
  #owners: { apps: readonly { readonly Id: string }[]; byEscapedId: Map<string, string>; byProxy: Map<string, string | null> } | null = null;
  readonly #totals = new Map<string, AppTotals>();

  constructor(
    private readonly settings: TrafficSamplerSettings,
    private readonly deps: TrafficSamplerDeps,
  ) {
    const capacity = settings.intervalMs > 0 ? Math.max(1, Math.round(settings.windowMs / settings.intervalMs)) : 1;
    this.window = new TrafficWindow(capacity, settings.windowMs);
    this.#sampling = settings.intervalMs > 0 ? { state: "ok" } : { state: "off", message: "traffic sampling is off (BAMBOO_TRAFFIC_INTERVAL=off)" };
  }

  start(): void {
    if (this.settings.intervalMs > 0) this.#schedule(this.settings.intervalMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  get windowMs(): number {
    return this.settings.windowMs;
  }

  get serverSplitLimit(): number {
    return this.settings.serverSplitLimit;
  }

  onSample(listener: (sample: TrafficSample) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  status(): TrafficSamplerStatus {
    return { ...this.#sampling, intervalMs: this.settings.intervalMs, lastSampleAt: this.#lastSampleAt, lastCostMs: this.#lastCostMs };
  }

  totals(): ReadonlyMap<string, AppTotals> {
    return this.#totals;
  }

  /** Takes one sample now; the timer calls it, and tests. */
  async sample(): Promise<void> {
    const started = performance.now();
    // Not an error of sampling: the supervisor reports HAProxy's state, and counts start again with it.
    if (!this.deps.running()) {
      this.#sampling = { state: "failing", message: "HAProxy is not running: no traffic to read" };
      this.#previous = null;
      return;
    }
    try {
      await this.#read();
      this.#setSampling({ state: "ok" });
    } catch (error) {
      this.#setSampling({ state: "failing", message: `cannot read HAProxy's counters: ${errorMessage(error)}` });
    }
    this.#lastCostMs = performance.now() - started;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      void this.sample().finally(() => {
        if (!this.#stopped) this.#schedule(Math.max(this.settings.intervalMs, WORK_SHARE * this.#lastCostMs));
      });
    }, delayMs);
  }

  async #read(): Promise<void> {
    const generation = this.deps.generation();
    // What every frontend counted: requests in HTTP mode, connections in TCP mode.
    let frontends = 0;
    await this.deps.readStat("show stat -1 1 -1", (row) => {
      if (row.kind === "frontend") frontends += row.requests;
    });
    const at = this.#now();
    const previous = this.#previous;
    const sameWorker = previous !== null && previous.generation === generation;
    if (sameWorker && previous.frontends === frontends) {
      previous.at = at;
      this.#record(at, new Map(), idleSplit(previous.servers));
      return;
    }
    // Each backend's counts are updated in place: at 10,000 backends a sample then leaves no garbage but the answer's pieces.
    const counts = sameWorker ? previous.backends : new Map<string, BackendCounts>();
    const first = previous === null;
    const seconds = first ? 0 : (at - previous.at) / 1000;
    const byApp = new Map<string, { points: TrafficPoint[]; proxies: string[] }>();
    await this.deps.readStat("show stat -1 2 -1", (row) => {
      if (row.kind !== "backend") return;
      const was = counts.get(row.proxy);
      const requests = countSince(was?.requests, row.requests);
      const errors = countSince(was?.errors, row.errors);
      if (was) {
        was.requests = row.requests;
        was.errors = row.errors;
      } else {
        // A name kept as a key is copied: as read, it is part of a piece of the answer and would keep all of it.
        counts.set(detachedString(row.proxy), { requests: row.requests, errors: row.errors });
      }
      // The first reading only sets where counting starts: HAProxy's counts so far are not a rate.
      if (first || (requests === 0 && errors === 0)) return;
      const app = this.#ownerOf(row.proxy);
      if (app === null) return;
      const entry = byApp.get(app) ?? { points: [], proxies: [] };
      entry.points.push(pointOf({ requests, errors }, row.responseMs, seconds));
      entry.proxies.push(row.proxy);
      byApp.set(app, entry);
      this.#count(app, requests, errors, row.responseMs);
    });
    const servers = new Map<string, ServerReading>();
    this.#previous = { at, generation, frontends, backends: counts, servers };
    if (first) return;
    const apps = new Map<string, TrafficPoint>();
    for (const [app, { points }] of byApp) apps.set(app, sumPoints(points));
    const split = await this.#split(apps, byApp, sameWorker ? previous.servers : new Map(), servers, seconds);
    this.#record(at, apps, split);
  }

  /** The per-server split of the busiest apps; a server is first read without a point, to start counting. */
  async #split(
    apps: ReadonlyMap<string, TrafficPoint>,
    byApp: ReadonlyMap<string, { proxies: string[] }>,
    before: ReadonlyMap<string, ServerReading>,
    readings: Map<string, ServerReading>,
    seconds: number,
  ): Promise<Map<string, ServerPoint[]>> {
    const busiest = [...apps].sort((a, b) => b[1][0] + b[1][1] - (a[1][0] + a[1][1])).slice(0, this.settings.serverSplitLimit);
    const proxies = busiest.flatMap(([app]) => byApp.get(app)!.proxies.map((proxy) => ({ app, proxy })));
    if (proxies.length === 0) return new Map();
    let answers: string[];
    try {
      answers = await this.deps.askEach(proxies.map(({ proxy }) => `show stat ${proxy} 4 -1`));
    } catch (error) {
      // A backend a reload just removed: the apps' own figures stand, the split waits for the next sample.
      this.deps.log.debug("could not read the busiest apps' servers", { error: errorMessage(error) });
      return new Map();
    }
    const split = new Map<string, ServerPoint[]>();
    for (const [i, { app, proxy }] of proxies.entries()) {
      for (const row of await parseStatCsv(answers[i]!)) {
        const key = `${proxy}/${row.name}`;
        readings.set(key, { app, name: row.name, address: row.address, counters: row, free: row.status.startsWith("MAINT") });
        const was = before.get(key);
        // A slot that moved to another task: what it counted since belongs to either.
        if (!was || was.address !== row.address) continue;
        const delta = deltaOf(was.counters, row);
        if (delta.requests === 0 && delta.errors === 0 && readings.get(key)!.free) continue;
        const points = split.get(app) ?? [];
        points.push({ name: row.name, address: row.address, point: pointOf(delta, row.responseMs, seconds) });
        split.set(app, points);
      }
    }
    return split;
  }

  #record(at: number, apps: Map<string, TrafficPoint>, servers: Map<string, ServerPoint[]>): void {
    const totals = sumPoints(apps.values());
    this.window.record({ at, totals, apps, servers });
    this.#lastSampleAt = at;
    if (this.#listeners.size === 0) return;
    const sample: TrafficSample = { at, sampling: this.#sampling, totals, apps: Object.fromEntries(apps) };
    for (const listener of this.#listeners) listener(sample);
  }

  #count(app: string, requests: number, errors: number, responseMs: number | null): void {
    const was = this.#totals.get(app);
    if (!was && requests === 0 && errors === 0) return;
    this.#totals.set(app, { requests: (was?.requests ?? 0) + requests, errors: (was?.errors ?? 0) + errors, responseMs: responseMs ?? was?.responseMs ?? null });
  }

  /** The app a backend belongs to, by name; the index follows the apps HAProxy runs. */
  #ownerOf(proxy: string): string | null {
    const apps = this.deps.apps();
    if (this.#owners?.apps !== apps) {
      // The apps' own escaped ids: made again, they would be 10,000 more strings at 10,000 apps.
      this.#owners = { apps, byEscapedId: new Map(apps.map((app) => [app.EscapedId, app.Id])), byProxy: new Map() };
      // An app gone from Marathon no longer has counts to report.
      const known = new Set(apps.map((app) => app.Id));
      for (const app of this.#totals.keys()) if (!known.has(app)) this.#totals.delete(app);
    }
    let owner = this.#owners.byProxy.get(proxy);
    if (owner === undefined) this.#owners.byProxy.set(detachedString(proxy), (owner = ownerOfName(this.#owners.byEscapedId, proxy) ?? null));
    return owner;
  }

  /** Logs a failure once, and the recovery from it; HAProxy not running is the supervisor's to log. */
  #setSampling(next: TrafficSampling): void {
    this.#sampling = next;
    if (next.state === "failing" && !this.#warned) this.deps.log.warn("traffic sampling failing", { error: next.message });
    if (next.state === "ok" && this.#warned) this.deps.log.info("traffic sampling recovered");
    this.#warned = next.state === "failing";
  }

  #now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}

/** A backend's counters as last read, updated in place at each sample. */
interface BackendCounts {
  requests: number;
  errors: number;
}

interface ServerReading {
  readonly app: string;
  readonly name: string;
  readonly address: string;
  readonly counters: Counters;
  /** A free slot, parked in maintenance: left out of the split while it counts nothing. */
  readonly free: boolean;
}

/** A quiet sample's split: every server read last time answered nothing, free slots aside. */
function idleSplit(servers: ReadonlyMap<string, ServerReading>): Map<string, ServerPoint[]> {
  const split = new Map<string, ServerPoint[]>();
  for (const server of servers.values()) {
    if (server.free) continue;
    const points = split.get(server.app) ?? [];
    points.push({ name: server.name, address: server.address, point: [0, 0, null] });
    split.set(server.app, points);
  }
  return split;
}
