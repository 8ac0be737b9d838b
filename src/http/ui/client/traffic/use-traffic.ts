import { useMemo, useState } from "preact/hooks";
import type { TrafficHistory, TrafficSample } from "../../api-types.ts";
import { addSample, fromHistory, type TrafficState } from "./traffic-state.ts";

/** Where the live stream hands its traffic events (use-overview.ts reads the stream). */
export interface TrafficSink {
  history(history: TrafficHistory): void;
  sample(sample: TrafficSample): void;
}

/**
 * The page's traffic: null until the stream's first `traffic-history` (an appliance without
 * sampling never sends one). A sample before any history has no window to go in and is left out:
 * the stream sends the history first, and again after every reconnect.
 */
export function useTraffic(): { readonly traffic: TrafficState | null; readonly sink: TrafficSink } {
  const [traffic, setTraffic] = useState<TrafficState | null>(null);
  const sink = useMemo<TrafficSink>(
    () => ({
      history: (history) => setTraffic(fromHistory(history)),
      sample: (sample) => setTraffic((state) => (state ? addSample(state, sample) : state)),
    }),
    [],
  );
  return { traffic, sink };
}
