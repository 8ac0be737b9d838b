import type { TrafficHistory, TrafficPoint, TrafficSample, TrafficSampling } from "../../api-types.ts";

/** Points of one app (or of all apps together), each placed at the end of its interval. */
export interface TrafficSeries {
  readonly times: readonly number[];
  readonly points: readonly TrafficPoint[];
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
    const series = seriesOf(times, alignedPoints(points, times.length));
    if (series.hasRequests || series.hasErrors) apps.set(id, series);
  }
  return {
    intervalMs: history.intervalMs,
    windowMs: history.windowMs,
    sampling: history.sampling,
    totals: seriesOf(times, alignedPoints(history.totals, times.length)),
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
  const extend = (points: readonly TrafficPoint[], point: TrafficPoint) => seriesOf(times, [...points.slice(from, to), point]);

  const apps = new Map<string, TrafficSeries>();
  for (const [id, series] of state.apps) {
    const next = extend(series.points, sample.apps[id] ?? IDLE);
    if (next.hasRequests || next.hasErrors) apps.set(id, next);
  }
  for (const [id, point] of Object.entries(sample.apps)) {
    if (state.apps.has(id) || isIdle(point)) continue;
    const points: TrafficPoint[] = new Array<TrafficPoint>(times.length - 1).fill(IDLE);
    points.push(point);
    apps.set(id, seriesOf(times, points));
  }
  return { ...state, sampling: sample.sampling, totals: extend(state.totals.points, sample.totals), apps, samples: state.samples + 1 };
}

/** The rate now: the last point, or idle for an app without a series. */
export function currentPoint(series: TrafficSeries | undefined): TrafficPoint {
  return series?.points[series.points.length - 1] ?? IDLE;
}

function isIdle(point: TrafficPoint): boolean {
  return point[0] === 0 && point[1] === 0;
}

function seriesOf(times: readonly number[], points: readonly TrafficPoint[]): TrafficSeries {
  return { times, points, hasRequests: points.some((point) => point[0] > 0), hasErrors: points.some((point) => point[1] > 0) };
}

/** A series as long as `times`: a shorter one from a broken answer is padded with idle points at its start. */
function alignedPoints(points: readonly TrafficPoint[], length: number): readonly TrafficPoint[] {
  if (points.length === length) return points;
  if (points.length > length) return points.slice(points.length - length);
  return [...new Array<TrafficPoint>(length - points.length).fill(IDLE), ...points];
}
