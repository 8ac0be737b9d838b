import type { TrafficHistory, TrafficPoint, TrafficSample, TrafficSampling } from "../../api-types.ts";

/** Numbers a point takes in {@link TrafficSeries.values}: requests/s, 5xx/s, response ms. */
const WIDTH = 3;

/** Which number of a point a chart draws. */
export const REQUESTS = 0;
export const ERRORS = 1;
export const RESPONSE_MS = 2;
export type Measure = typeof REQUESTS | typeof ERRORS | typeof RESPONSE_MS;

/** Points of one app (or of all apps together), each placed at the end of its interval. */
export interface TrafficSeries {
  readonly times: readonly number[];
  /**
   * The points packed, three numbers each (NaN: no response time). As parsed tuples, 6,000
   * busy apps over a 15-minute window weighed about 75 MB of the page's memory; packed, a fifth.
   */
  readonly values: Float32Array;
  /** Any request, any 5xx in the window: what the traffic filter asks, kept so it costs no scan. */
  readonly hasRequests: boolean;
  readonly hasErrors: boolean;
}

/**
 * The traffic the page knows: the history the stream opened with, then every sample after it,
 * for the last `windowMs`. Only apps with a request or an error in the window have a series;
 * every other app had none, so at 10,000 mostly idle apps a sample touches only the busy ones,
 * and an idle app's row never sees a new object.
 */
export interface TrafficState {
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly sampling: TrafficSampling;
  readonly totals: TrafficSeries;
  readonly apps: ReadonlyMap<string, TrafficSeries>;
  /** Samples received since the history: the app page reads its servers again after each. */
  readonly samples: number;
}

/** An interval without requests or errors. */
export const IDLE: TrafficPoint = [0, 0, null];

/** The state a stream's `traffic-history` starts (or, after a reconnect, starts again). */
export function fromHistory(history: TrafficHistory): TrafficState {
  const times = history.times;
  const apps = new Map<string, TrafficSeries>();
  for (const [id, points] of Object.entries(history.apps)) {
    const series = seriesOf(times, pack(points, times.length));
    if (series.hasRequests || series.hasErrors) apps.set(id, series);
  }
  return {
    intervalMs: history.intervalMs,
    windowMs: history.windowMs,
    sampling: history.sampling,
    totals: seriesOf(times, pack(history.totals, times.length)),
    apps,
    samples: 0,
  };
}

/**
 * The state after one more sample: the sample is appended at its time, points older than the
 * window are dropped, and apps it does not name get an idle point. Points at or after the
 * sample's time (a history bucket still open when it was sent, or the same sample twice) give
 * way to it, so times stay strictly increasing.
 */
export function addSample(state: TrafficState, sample: TrafficSample): TrafficState {
  const old = state.totals.times;
  let from = 0;
  while (from < old.length && old[from]! <= sample.at - state.windowMs) from++;
  let to = old.length;
  while (to > from && old[to - 1]! >= sample.at) to--;
  const times = [...old.slice(from, to), sample.at];
  const extend = (values: Float32Array | null, point: TrafficPoint) => {
    const next = new Float32Array(times.length * WIDTH);
    if (values) next.set(values.subarray(from * WIDTH, to * WIDTH));
    write(next, times.length - 1, point);
    return seriesOf(times, next);
  };

  const apps = new Map<string, TrafficSeries>();
  for (const [id, series] of state.apps) {
    const next = extend(series.values, sample.apps[id] ?? IDLE);
    if (next.hasRequests || next.hasErrors) apps.set(id, next);
  }
  for (const [id, point] of Object.entries(sample.apps)) {
    if (!state.apps.has(id) && !isIdle(point)) apps.set(id, extend(null, point));
  }
  return { ...state, sampling: sample.sampling, totals: extend(state.totals.values, sample.totals), apps, samples: state.samples + 1 };
}

/** Point `index` of a series. */
export function pointAt(series: TrafficSeries, index: number): TrafficPoint {
  const at = index * WIDTH;
  const ms = series.values[at + RESPONSE_MS]!;
  return [series.values[at + REQUESTS]!, series.values[at + ERRORS]!, Number.isNaN(ms) ? null : ms];
}

/** The rate now: the last point, or idle for an app without a series. */
export function currentPoint(series: TrafficSeries | undefined): TrafficPoint {
  return series && series.times.length > 0 ? pointAt(series, series.times.length - 1) : IDLE;
}

/** One measure now (the last point) without building the point: sorting 10,000 apps reads it often. */
export function currentValue(series: TrafficSeries | undefined, measure: Measure): number {
  if (!series || series.times.length === 0) return 0;
  const value = series.values[(series.times.length - 1) * WIDTH + measure]!;
  return Number.isNaN(value) ? 0 : value;
}

/** One measure of every point, for a chart; null where there is none (no response time). */
export function column(series: TrafficSeries, measure: Measure): (number | null)[] {
  const values: (number | null)[] = new Array<number | null>(series.times.length);
  for (let i = 0; i < values.length; i++) {
    const value = series.values[i * WIDTH + measure]!;
    values[i] = Number.isNaN(value) ? null : value;
  }
  return values;
}

function isIdle(point: TrafficPoint): boolean {
  return point[0] === 0 && point[1] === 0;
}

function seriesOf(times: readonly number[], values: Float32Array): TrafficSeries {
  let hasRequests = false;
  let hasErrors = false;
  for (let at = 0; at < values.length; at += WIDTH) {
    hasRequests ||= values[at + REQUESTS]! > 0;
    hasErrors ||= values[at + ERRORS]! > 0;
  }
  return { times, values, hasRequests, hasErrors };
}

function write(values: Float32Array, index: number, point: TrafficPoint): void {
  const at = index * WIDTH;
  values[at + REQUESTS] = point[0];
  values[at + ERRORS] = point[1];
  values[at + RESPONSE_MS] = point[2] ?? Number.NaN;
}

/**
 * Points packed for `length` times: a shorter series from a broken answer is padded with idle
 * points at its start, a longer one keeps its newest points.
 */
function pack(points: readonly TrafficPoint[], length: number): Float32Array {
  const values = new Float32Array(length * WIDTH);
  const skip = Math.max(0, points.length - length);
  const pad = Math.max(0, length - points.length);
  for (let i = 0; i < pad; i++) write(values, i, IDLE);
  for (let i = skip; i < points.length; i++) write(values, pad + i - skip, points[i]!);
  return values;
}
