import { linePath, niceCeiling, summarise } from "./chart-scale.ts";
import { describeSeries, formatRate } from "./traffic-format.ts";
import type { TrafficSeries } from "./traffic-state.ts";

/** SVG units of a row's chart; the CSS sets its size on screen, the lines keep their width. */
const WIDTH = 120;
const HEIGHT = 28;

/**
 * A row's small chart over the window: requests per second, and 5xx per second in the
 * warning colour on the same scale (so errors read as a share of the requests). Its text
 * alternative summarises the requests; the row prints the current numbers beside it.
 */
export function Sparkline(props: { series: TrafficSeries; windowMs: number }) {
  const { series, windowMs } = props;
  const end = series.times[series.times.length - 1] ?? 0;
  const requests = series.points.map((point) => point[0]);
  const errors = series.points.map((point) => point[1]);
  const frame = { width: WIDTH, height: HEIGHT, start: end - windowMs, end, top: niceCeiling(Math.max(0, ...requests, ...errors), 1) };
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={describeSeries("Requests per second", windowMs, summarise(requests), formatRate)}
    >
      <path class="line line-requests" d={linePath(series.times, requests, frame)} />
      {series.hasErrors && <path class="line line-errors" d={linePath(series.times, errors, frame)} />}
    </svg>
  );
}
