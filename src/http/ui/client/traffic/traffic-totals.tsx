import { MEASURE_CHARTS } from "./measure-charts.ts";
import { SamplingNote } from "./sampling-note.tsx";
import { TrafficChart } from "./traffic-chart.tsx";
import { column, type TrafficState } from "./traffic-state.ts";

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
          {MEASURE_CHARTS.map((chart) => (
            <TrafficChart
              key={chart.key}
              title={chart.title}
              times={times}
              windowMs={traffic.windowMs}
              lines={[{ key: chart.key, label: "all apps", values: column(totals, chart.measure), className: chart.className }]}
              format={chart.format}
              unit={chart.unit}
              floor={chart.floor}
            />
          ))}
        </div>
      )}
    </section>
  );
}
