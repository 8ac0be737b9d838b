import type { TrafficPoint } from "../http/ui/api-types.ts";
import { sumPoints } from "./rates.ts";

/** One server's point in a sample, named as HAProxy names it and by the task address it had. */
export interface ServerPoint {
  readonly name: string;
  readonly address: string;
  readonly point: TrafficPoint;
}

export interface WindowSample {
  /** End of the interval, ms since the epoch. */
  readonly at: number;
  readonly totals: TrafficPoint;
  /** Apps with any request or error; every other app had none. */
  readonly apps: ReadonlyMap<string, TrafficPoint>;
  /** The per-server split of the apps it is taken for. */
  readonly servers: ReadonlyMap<string, readonly ServerPoint[]>;
}

export interface SeriesOut {
  readonly times: readonly number[];
  readonly points: readonly TrafficPoint[];
}

export interface ServerSeriesOut {
  readonly name: string;
  readonly address: string;
  readonly points: readonly (TrafficPoint | null)[];
}

/** Three floats per sample: requests/s, errors/s, response ms (NaN: none). NaN requests: no point. */
const WIDTH = 3;

interface Series {
  readonly values: Float32Array;
  /** Index of the last sample that wrote a real point into it. */
  last: number;
}

interface ServerSeries extends Series {
  readonly name: string;
  readonly address: string;
}

/**
 * The last `capacity` samples of traffic, in memory only. An app takes room (12 bytes per
 * sample) only while it had traffic within the window, so 10,000 idle apps cost nothing and
 * a busy one about 2 KB at 180 samples; it is forgotten when its last traffic leaves the window.
 */
export class TrafficWindow {
  readonly #times: Float64Array;
  readonly #totals: Float32Array;
  readonly #apps = new Map<string, Series>();
  readonly #servers = new Map<string, Map<string, ServerSeries>>();
  /** Samples recorded since the start; the next one goes to slot `#count % capacity`. */
  #count = 0;

  /**
   * `capacity` samples at most, and none older than `windowMs` before the newest: sampling
   * slows down when it is costly (sampler.ts), so a full ring may reach further back.
   */
  constructor(
    readonly capacity: number,
    readonly windowMs = Number.POSITIVE_INFINITY,
  ) {
    this.#times = new Float64Array(capacity);
    this.#totals = new Float32Array(capacity * WIDTH);
  }

  record(sample: WindowSample): void {
    const index = this.#count;
    const slot = index % this.capacity;
    this.#times[slot] = sample.at;
    write(this.#totals, slot, sample.totals);
    for (const [id, series] of this.#apps) {
      if (sample.apps.has(id)) continue;
      if (index - series.last >= this.capacity) this.#apps.delete(id);
      else write(series.values, slot, ZERO);
    }
    for (const [id, point] of sample.apps) {
      let series = this.#apps.get(id);
      if (!series) this.#apps.set(id, (series = { values: new Float32Array(this.capacity * WIDTH), last: index }));
      write(series.values, slot, point);
      series.last = index;
    }
    this.#recordServers(index, slot, sample.servers);
    this.#count++;
  }

  /** Apps with traffic within the window. */
  appIds(): string[] {
    return [...this.#apps.keys()];
  }

  /** Every sample of one app, oldest first; zeros for an app without traffic in the window. */
  app(id: string): SeriesOut {
    const series = this.#apps.get(id);
    const order = this.#order();
    return { times: order.map((slot) => this.#times[slot]!), points: order.map((slot) => (series ? read(series.values, slot) : ZERO)) };
  }

  /** The per-server split of one app, aligned with {@link app}'s times; null when it was never taken. */
  servers(id: string): ServerSeriesOut[] | null {
    const servers = this.#servers.get(id);
    if (!servers) return null;
    const order = this.#order();
    return [...servers.values()].map((series) => ({
      name: series.name,
      address: series.address,
      points: order.map((slot) => (Number.isNaN(series.values[slot * WIDTH]) ? null : read(series.values, slot))),
    }));
  }

  /**
   * The window in buckets of `bucketMs` (by wall-clock boundaries, so repeated calls agree):
   * each bucket's time is its last sample's, its rates the mean of its samples', its response
   * time the mean weighted by requests.
   */
  history(bucketMs: number): { times: number[]; totals: TrafficPoint[]; apps: Map<string, TrafficPoint[]> } {
    const buckets: number[][] = [];
    let current = Number.NaN;
    for (const slot of this.#order()) {
      const bucket = Math.floor(this.#times[slot]! / bucketMs);
      if (bucket !== current) buckets.push([]);
      current = bucket;
      buckets.at(-1)!.push(slot);
    }
    const times = buckets.map((slots) => this.#times[slots.at(-1)!]!);
    const mean = (values: Float32Array) => buckets.map((slots) => meanOf(slots.map((slot) => read(values, slot))));
    const apps = new Map<string, TrafficPoint[]>();
    for (const [id, series] of this.#apps) apps.set(id, mean(series.values));
    return { times, totals: mean(this.#totals), apps };
  }

  /** Slots from oldest to newest. */
  #order(): number[] {
    const length = Math.min(this.#count, this.capacity);
    const first = this.#count - length;
    const slots = Array.from({ length }, (_, k) => (first + k) % this.capacity);
    if (length === 0) return slots;
    const since = this.#times[slots[length - 1]!]! - this.windowMs;
    const kept = slots.findIndex((slot) => this.#times[slot]! > since);
    return kept <= 0 ? slots : slots.slice(kept);
  }

  #recordServers(index: number, slot: number, sample: ReadonlyMap<string, readonly ServerPoint[]>): void {
    for (const [id, servers] of this.#servers) {
      for (const [key, series] of servers) {
        if (index - series.last >= this.capacity) servers.delete(key);
        else write(series.values, slot, ABSENT);
      }
      if (servers.size === 0 && !sample.has(id)) this.#servers.delete(id);
    }
    for (const [id, points] of sample) {
      let servers = this.#servers.get(id);
      if (!servers) this.#servers.set(id, (servers = new Map()));
      for (const { name, address, point } of points) {
        const key = `${name}\u0000${address}`;
        let series = servers.get(key);
        if (!series) servers.set(key, (series = { name, address, values: new Float32Array(this.capacity * WIDTH).fill(Number.NaN), last: index }));
        write(series.values, slot, point);
        series.last = index;
      }
    }
  }
}

const ZERO: TrafficPoint = [0, 0, null];
const ABSENT: TrafficPoint = [Number.NaN, Number.NaN, null];

function write(values: Float32Array, slot: number, [requests, errors, ms]: TrafficPoint): void {
  const at = slot * WIDTH;
  values[at] = requests;
  values[at + 1] = errors;
  values[at + 2] = ms ?? Number.NaN;
}

/** Rounded to what a chart shows: floats keep 7 digits, and 0.1 would read 0.10000000149011612. */
function read(values: Float32Array, slot: number): TrafficPoint {
  const at = slot * WIDTH;
  const ms = values[at + 2]!;
  return [round(values[at]!, 1000), round(values[at + 1]!, 1000), Number.isNaN(ms) ? null : round(ms, 10)];
}

function round(value: number, scale: number): number {
  return Math.round(value * scale) / scale;
}

function meanOf(points: readonly TrafficPoint[]): TrafficPoint {
  const [requests, errors, ms] = sumPoints(points);
  return [requests / points.length, errors / points.length, ms];
}
