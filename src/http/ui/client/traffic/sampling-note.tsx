import type { TrafficSampling } from "../../api-types.ts";

/**
 * One line where the charts are when sampling is off or failing, instead of an error per
 * chart or per row. Nothing when it works.
 */
export function SamplingNote(props: { sampling: TrafficSampling }) {
  const { state, message } = props.sampling;
  if (state === "ok") return null;
  const words =
    state === "off"
      ? "Traffic sampling is off (BAMBOO_TRAFFIC_INTERVAL=off): no charts."
      : `Traffic sampling is failing${message ? `: ${message}` : ""}. The charts show what was sampled before.`;
  return (
    <p class={`sampling-note sampling-${state}`} role="status">
      {words}
    </p>
  );
}
