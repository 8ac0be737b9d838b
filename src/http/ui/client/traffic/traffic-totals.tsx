import { formatErrors, formatMs, formatRequests } from "./traffic-format.ts";
import { RESPONSE_TITLE } from "./response-words.ts";
import { SamplingNote } from "./sampling-note.tsx";
import { TrafficChart } from "./traffic-chart.tsx";
import { column, ERRORS, REQUESTS, RESPONSE_MS, type TrafficState } from "./traffic-state.ts";

/** All apps together, at the top of the apps view: requests, 5xx and response time. */
export function TrafficTotals(props: { traffic: TrafficState | null }) {
  const { traffic } = props;
  if (traffic === null) return null;
  const { totals } = traffic;
  const times = totals.times;
  const hasData = times.length > 0 && traffic.sampling.state !== "off";
  return (
    <section class="traffic-totals" aria-label="Traffic of all apps">
      <SamplingNote sampling={traffic.sampling} />
      {hasData && (
        <div class="charts">
          <TrafficChart
            title="Requests per second"
            times={times}
            windowMs={traffic.windowMs}
            lines={[{ key: "requests", label: "all apps", values: column(totals, REQUESTS), className: "line-requests" }]}
            format={formatRequests}
            unit="req/s"
            floor={1}
          />
          <TrafficChart
            title="5xx per second"
            times={times}
            windowMs={traffic.windowMs}
            lines={[{ key: "errors", label: "all apps", values: column(totals, ERRORS), className: "line-errors" }]}
            format={formatErrors}
            unit="5xx/s"
            floor={1}
          />
          <TrafficChart
            title={RESPONSE_TITLE}
            times={times}
            windowMs={traffic.windowMs}
            lines={[{ key: "response", label: "all apps", values: column(totals, RESPONSE_MS), className: "line-response" }]}
            format={formatMs}
            unit="ms"
            floor={10}
          />
        </div>
      )}
    </section>
  );
}
