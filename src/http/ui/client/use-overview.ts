import { useEffect, useState } from "preact/hooks";
import type { Overview } from "../api-types.ts";
import { api } from "./api.ts";

export type LiveState = "connecting" | "live" | "reconnecting";

export interface LiveOverview {
  readonly overview: Overview | null;
  readonly live: LiveState;
}

/**
 * The overview, pushed by the appliance over server-sent events. EventSource reconnects by
 * itself; while it is down the last overview stays on the page, marked as not live. If the
 * stream cannot be opened at all, one plain GET fills the page so it is never empty.
 */
export function useOverview(): LiveOverview {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [live, setLive] = useState<LiveState>("connecting");

  useEffect(() => {
    let received = false;
    let fallbackTried = false;
    const source = new EventSource("/api/events");
    source.addEventListener("overview", (event) => {
      try {
        const next = JSON.parse((event as MessageEvent<string>).data) as Overview;
        received = true;
        // One stream delivers in order, and a reconnect starts with the full current state.
        setOverview(next);
        setLive("live");
      } catch {
        // A torn message is replaced by the next one; keep showing the last good overview.
      }
    });
    source.addEventListener("open", () => setLive((state) => (received ? "live" : state)));
    source.addEventListener("error", () => {
      setLive("reconnecting");
      if (!received && !fallbackTried) {
        fallbackTried = true;
        api.overview().then(setOverview, () => undefined);
      }
    });
    return () => source.close();
  }, []);

  return { overview, live };
}
