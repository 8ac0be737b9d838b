import { useEffect, useRef, useState } from "preact/hooks";
import { backoffDelay } from "../../../system/backoff.ts";
import type { Overview, OverviewChanges, TrafficHistory, TrafficSample } from "../api-types.ts";
import { SignInCancelled, type ApiClient } from "./api.ts";
import { useApi } from "./api-context.ts";
import { basicAuthHeader, loadCredentials } from "./credentials.ts";
import { EventStreamParser, type StreamEvent } from "./event-stream.ts";
import { applyChanges } from "./overview-changes.ts";
import type { TrafficSink } from "./traffic/use-traffic.ts";

export type LiveState = "connecting" | "live" | "reconnecting" | "signed-out";

export interface LiveOverview {
  readonly overview: Overview | null;
  readonly live: LiveState;
}

/** Pauses between reconnects after failures; a stream that delivered starts over at the first. */
const RECONNECT = { initialMs: 500, maxMs: 15_000 };
/** One event larger than this ends the stream (the page reconnects): 10,000 apps weigh about 6 MB. */
const MAX_EVENT_CHARS = 64 * 1024 * 1024;

/**
 * The overview, pushed by the appliance over server-sent events. The first one comes from a
 * plain GET that index.html preloads while the script downloads; the stream opens once that
 * is shown, from that overview on: it sends the current state only if it changed between,
 * then only the rows that change (at 10,000 apps a full overview is several megabytes).
 * The stream is read with fetch, not EventSource, so it carries the page's credentials; it
 * reconnects with backoff, and while it is down the last overview stays, marked not live.
 */

/**
 * The first GET, started before the first render (main.tsx): effects run only after a
 * paint, and the request should not wait for one. Without stored credentials it is the same
 * request as the preload in index.html, so the browser reuses it; null when it is refused
 * (the stream then asks for credentials and starts with the full overview).
 */
export function fetchOverview(): Promise<Overview | null> {
  const credentials = loadCredentials();
  const headers: Record<string, string> = { accept: "application/json" };
  if (credentials) headers.authorization = basicAuthHeader(credentials);
  return fetch("/api/overview", { headers }).then((response) => (response.ok ? (response.json() as Promise<Overview>) : null));
}

/**
 * `early` is the first overview's request when one was started before the first render;
 * `traffic` receives the stream's traffic events, which share the connection with the overview.
 */
export function useOverview(early: Promise<Overview | null> | null, traffic: TrafficSink): LiveOverview {
  const api = useApi();
  const first = useRef(early);
  const [overview, setOverview] = useState<Overview | null>(null);
  const [live, setLive] = useState<LiveState>("connecting");

  useEffect(() => {
    const life = new AbortController();
    // The overview the page already shows: the stream then starts with the next change only.
    let shown: Overview | null = null;
    let streamed = false;
    const show = (next: Overview) => {
      shown = next;
      streamed = true;
      setOverview(next);
      setLive("live");
    };

    const request = first.current ?? fetchOverview();
    first.current = null;
    request
      .then(
        (first) => {
          // Marks let scripts/bench/ui-load.ts tell network and parsing apart from rendering.
          performance.mark("bamboo:overview-parsed");
          if (first && !streamed && !life.signal.aborted) {
            shown = first;
            setOverview(first);
          }
        },
        () => undefined,
      )
      // Opened after the first paint, so its own copy of the overview does not compete with it.
      .finally(() =>
        requestAnimationFrame(() =>
          setTimeout(() => void followStream(api, life.signal, { shown: () => shown, forget: () => (shown = null), show, setLive, traffic }), 0),
        ),
      );

    return () => life.abort();
  }, [api, traffic]);

  return { overview, live };
}

interface StreamView {
  /** What the page shows now, if anything; the stream resumes from it. */
  shown(): Overview | null;
  /** After a change the page cannot place, only a full overview can be trusted. */
  forget(): void;
  show(next: Overview): void;
  setLive(update: (state: LiveState) => LiveState): void;
  readonly traffic: TrafficSink;
}

/** Reads `/api/events` until `life` ends: reconnecting with backoff, waiting for a sign-in when the user declined one. */
async function followStream(api: ApiClient, life: AbortSignal, view: StreamView): Promise<void> {
  let failures = 0;
  while (!life.aborted) {
    const shown = view.shown();
    const path = shown ? `/api/events?since=${encodeURIComponent(shown.eventId)}` : "/api/events";
    let outcome: StreamOutcome = "silent";
    try {
      outcome = await readStream(await api.events(path, life), view);
    } catch (error) {
      if (life.aborted) return;
      if (error instanceof SignInCancelled) {
        view.setLive(() => "signed-out");
        await api.whenSignedIn();
        failures = 0;
        continue;
      }
    }
    if (life.aborted) return;
    if (outcome === "restart") {
      failures = 0;
      continue;
    }
    failures = outcome === "delivered" ? 1 : failures + 1;
    view.setLive(() => "reconnecting");
    await sleep(backoffDelay(failures, RECONNECT), life);
  }
}

/**
 * How a connection ended: it delivered something (the next reconnect starts over at the
 * shortest pause), it delivered nothing, or a change did not follow what the page shows
 * (reconnect at once for a full overview).
 */
type StreamOutcome = "delivered" | "silent" | "restart";

/** Reads one connection's events into the view until it ends. */
async function readStream(response: Response, view: StreamView): Promise<StreamOutcome> {
  const parser = new EventStreamParser(MAX_EVENT_CHARS);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let outcome: StreamOutcome = "silent";
  // Connected: what is shown is current unless an event says otherwise.
  view.setLive((state) => (view.shown() ? "live" : state));
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      outcome = "delivered";
      for (const event of parser.push(chunk.value)) {
        if (!apply(event, view)) {
          view.forget();
          return "restart";
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return outcome;
}

/** Applies one event; false when only a full overview can be trusted now. */
function apply(event: StreamEvent, view: StreamView): boolean {
  if (event.event === "overview") {
    try {
      // One stream delivers in order; a reconnect starts with the current state if it changed.
      view.show(JSON.parse(event.data) as Overview);
    } catch {
      // A torn message is replaced by the next one; keep showing the last good overview.
    }
    return true;
  }
  if (event.event === "traffic-history" || event.event === "traffic") {
    applyTraffic(event, view.traffic);
    return true;
  }
  if (event.event !== "changes") return true;
  let changes: OverviewChanges;
  try {
    changes = JSON.parse(event.data) as OverviewChanges;
  } catch {
    return false;
  }
  const shown = view.shown();
  const next = shown && applyChanges(shown, changes);
  if (!next) return false;
  view.show(next);
  return true;
}

/** Traffic events carry no id and never make the overview untrustworthy: a torn one is skipped. */
function applyTraffic(event: StreamEvent, traffic: TrafficSink): void {
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  if (event.event === "traffic-history") traffic.history(data as TrafficHistory);
  else traffic.sample(data as TrafficSample);
}

function sleep(ms: number, life: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    life.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      life.removeEventListener("abort", done);
      resolve();
    }
  });
}
