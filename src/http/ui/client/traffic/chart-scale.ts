/** Where a chart draws: its size in SVG units, the time it spans, and the value at its top. */
export interface ChartFrame {
  readonly width: number;
  readonly height: number;
  readonly start: number;
  readonly end: number;
  readonly top: number;
}

/**
 * A round value for the top of an axis, at least `max`: 1, 2, 2.5 or 5 times a power of ten,
 * so the label reads as a number people use. Never below `floor`, so an idle app's flat line
 * sits at the bottom instead of being stretched to fill the chart.
 */
export function niceCeiling(max: number, floor = 1): number {
  const value = Math.max(max, floor);
  if (!Number.isFinite(value) || value <= 0) return floor;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    // The small tolerance keeps 0.3 from rounding up past itself through float error.
    if (value <= step * power * (1 + 1e-9)) return step * power;
  }
  return 10 * power;
}

/** The shortest time a chart spans: a first sample alone is a point, not a line across it. */
const MIN_SPAN_MS = 60_000;

/**
 * How far back a chart reaches: the time its points cover, in whole minutes, up to the
 * window. A fresh appliance's first minutes fill the chart instead of a sliver at its right
 * edge, and the span changes at most once a minute, so rows that did not change need not be
 * drawn again for it.
 */
export function shownSpanMs(times: readonly number[], windowMs: number): number {
  if (times.length < 2) return Math.min(MIN_SPAN_MS, windowMs);
  const covered = Math.ceil((times[times.length - 1]! - times[0]!) / MIN_SPAN_MS) * MIN_SPAN_MS;
  return Math.min(windowMs, Math.max(MIN_SPAN_MS, covered));
}

/**
 * An SVG path through the values, each at its time: one line, broken where a value is null
 * (an interval in which the backend answered nothing has no response time). A lone point
 * becomes a zero-length segment, which a round line cap draws as a dot.
 */
export function linePath(times: readonly number[], values: readonly (number | null)[], frame: ChartFrame): string {
  const span = frame.end - frame.start || 1;
  const parts: string[] = [];
  let open = false;
  for (let i = 0; i < times.length && i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined || !Number.isFinite(value)) {
      open = false;
      continue;
    }
    const x = clamp(((times[i]! - frame.start) / span) * frame.width, 0, frame.width);
    const y = clamp(frame.height - (value / frame.top) * frame.height, 0, frame.height);
    const at = `${round(x)} ${round(y)}`;
    if (open) parts.push(`L${at}`);
    else {
      const next = values[i + 1];
      const lone = next === null || next === undefined || i + 1 >= times.length;
      parts.push(lone ? `M${at}h0` : `M${at}`);
    }
    open = true;
  }
  return parts.join("");
}

export interface Summary {
  /** The last value that is not null, or null when there is none. */
  readonly now: number | null;
  readonly peak: number | null;
  readonly mean: number | null;
}

/** What a chart's text alternative says: now, peak and mean over the window. */
export function summarise(values: readonly (number | null)[]): Summary {
  let now: number | null = null;
  let peak: number | null = null;
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (value === null || !Number.isFinite(value)) continue;
    now = value;
    peak = peak === null ? value : Math.max(peak, value);
    sum += value;
    count++;
  }
  return { now, peak, mean: count === 0 ? null : sum / count };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** One decimal of an SVG unit is finer than a pixel at the sizes drawn, and keeps paths short. */
function round(value: number): number {
  return Math.round(value * 10) / 10;
}
