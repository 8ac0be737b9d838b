import { useEffect, useRef, useState } from "preact/hooks";
import type { Overview, OverviewChanges } from "../api-types.ts";
import { applyChanges } from "./overview-changes.ts";

export type LiveState = "connecting" | "live" | "reconnecting";

export interface LiveOverview {
  readonly overview: Overview | null;
  readonly live: LiveState;
}

/**
 * The overview, pushed by the appliance over server-sent events. The first one comes from a
 * plain GET that index.html preloads while the script downloads; the stream opens once that
 * is shown, from that overview on: it sends the current state only if it changed between,
 * then only the rows that change (at 10,000 apps a full overview is several megabytes).
 * EventSource reconnects by itself; while it is down the last overview stays, marked not live.
 */

/**
 * The first GET, started before the first render (main.tsx): effects run only after a
 * paint, and the request should not wait for one. Same mode and credentials as the preload
 * in index.html, so the browser reuses it.
 */
export function fetchOverview(): Promise<Overview | null> {
  return fetch("/api/overview", { headers: { accept: "application/json" } }).then((response) =>
    response.ok ? (response.json() as Promise<Overview>) : null,
  );
}

/** `early` is the first overview's request when one was started before the first render. */
export function useOverview(early: Promise<Overview | null> | null): LiveOverview {
  const first = useRef(early);
  const [overview, setOverview] = useState<Overview | null>(null);
  const [live, setLive] = useState<LiveState>("connecting");

  useEffect(() => {
    let source: EventSource | null = null;
    let closed = false;
    let streamed = false;
    // The overview the page already shows: the stream then starts with the next change only.
    let shown: Overview | null = null;

    const show = (next: Overview) => {
      shown = next;
      setOverview(next);
      setLive("live");
    };
    // After a change the page cannot place, only a full overview can be trusted: reopen without `since`.
    const restart = () => {
      source?.close();
      shown = null;
      streamed = false;
      openStream();
    };

    const openStream = () => {
      if (closed) return;
      source = new EventSource(shown ? `/api/events?since=${encodeURIComponent(shown.eventId)}` : "/api/events");
      source.addEventListener("overview", (event) => {
        try {
          const next = JSON.parse((event as MessageEvent<string>).data) as Overview;
          streamed = true;
          // One stream delivers in order; a reconnect (Last-Event-ID) starts with the current state if it changed.
          show(next);
        } catch {
          // A torn message is replaced by the next one; keep showing the last good overview.
        }
      });
      source.addEventListener("changes", (event) => {
        let changes: OverviewChanges;
        try {
          changes = JSON.parse((event as MessageEvent<string>).data) as OverviewChanges;
        } catch {
          return restart();
        }
        const next = shown && applyChanges(shown, changes);
        // A change that does not follow what the page shows: start over from a full overview.
        if (!next) return restart();
        show(next);
      });
      source.addEventListener("open", () => setLive((state) => (streamed || shown ? "live" : state)));
      source.addEventListener("error", () => setLive("reconnecting"));
    };

    const request = first.current ?? fetchOverview();
    first.current = null;
    request
      .then(
        (first) => {
          // Marks let scripts/bench/ui-load.ts tell network and parsing apart from rendering.
          performance.mark("bamboo:overview-parsed");
          if (first && !streamed && !closed) {
            shown = first;
            setOverview(first);
          }
        },
        () => undefined,
      )
      // Opened after the first paint, so its own copy of the overview does not compete with it.
      .finally(() => requestAnimationFrame(() => setTimeout(openStream, 0)));

    return () => {
      closed = true;
      source?.close();
    };
  }, []);

  return { overview, live };
}
