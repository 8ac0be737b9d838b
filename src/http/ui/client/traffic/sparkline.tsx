import { linePath, niceCeiling, summarise } from "./chart-scale.ts";
import { describeSeries, formatRate } from "./traffic-format.ts";
import { column, ERRORS, REQUESTS, type TrafficSeries } from "./traffic-state.ts";

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
  const requests = column(series, REQUESTS);
  const errors = column(series, ERRORS);
  const summary = summarise(requests);
  const frame = { width: WIDTH, height: HEIGHT, start: end - windowMs, end, top: niceCeiling(Math.max(summary.peak ?? 0, summarise(errors).peak ?? 0), 1) };
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={describeSeries("Requests per second", windowMs, summary, formatRate)}
    >
      <path class="line line-requests" d={linePath(series.times, requests, frame)} />
      {series.hasErrors && <path class="line line-errors" d={linePath(series.times, errors, frame)} />}
    </svg>
  );
}
