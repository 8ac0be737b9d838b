import { Sparkline } from "./sparkline.tsx";
import { formatRate } from "./traffic-format.ts";
import { currentPoint, type TrafficSeries } from "./traffic-state.ts";

/**
 * An app's traffic in its row: the sparkline and the current rates as text. An app without a
 * series had no request in the window and gets text only, so 10,000 idle rows draw no SVG;
 * `windowMs` null means the appliance sends no traffic (not yet, sampling off, or too old to).
 */
export function TrafficCell(props: { series: TrafficSeries | undefined; windowMs: number | null }) {
  const { series, windowMs } = props;
  if (windowMs === null) return <span class="muted">—</span>;
  const [requests, errors] = currentPoint(series);
  return (
    <span class="traffic-cell">
      {series && <Sparkline series={series} windowMs={windowMs} />}
      <span class={`traffic-text${series ? "" : " muted"}`}>
        <span class="rate-requests">{formatRate(requests)} req/s</span>
        {" · "}
        <span class={`rate-errors${errors > 0 ? " has-errors" : ""}`}>{formatRate(errors)} 5xx/s</span>
      </span>
    </span>
  );
}
