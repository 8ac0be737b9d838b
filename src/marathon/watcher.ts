/**
 * Watches Marathon for changes: follows `/v2/events`, or, in the legacy mode, registers an
 * HTTP callback. It only says what changed; when and how to refetch is the reconciler's job.
 */
import { backoffDelay, jittered } from "../system/backoff.ts";
import { errorMessage } from "../system/error-message.ts";
import type { Logger } from "../system/log.ts";
import { changeFromCallback, changeOf, EventTooLargeError, SseParser, WATCHED_EVENT_TYPES } from "./events.ts";
import { isObject } from "./json-read.ts";
import type { MarathonTransport } from "./transport.ts";
import type { MarathonChange } from "./types.ts";

/** The settings a watcher needs (a subset of the `marathon` config section). */
export interface WatcherSettings {
  readonly useEventStream: boolean;
  readonly streamTimeoutMs: number;
  /** A larger event drops the stream (MARATHON_MAX_EVENT_SIZE). */
  readonly maxEventBytes: number;
}

export interface WatcherDeps {
  readonly now?: () => number;
  readonly log?: Logger;
  /** Where Marathon posts events in callback mode: `${BAMBOO_ENDPOINT}/api/marathon/event_callback`. */
  readonly callbackUrl?: string;
  /** Reconnect delays: doubling from `initialMs`, capped at `maxMs`, each scaled by a random 50-100 %. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly random?: () => number;
}

export interface WatcherStatus {
  readonly mode: "stream" | "callback";
  /** The Marathon endpoint the watcher talks to now. */
  readonly endpoint: string;
  readonly leader: string | null;
  readonly streamConnected: boolean;
  /** Callback mode: Marathon accepted the subscription. */
  readonly callbackRegistered: boolean;
  readonly lastEventAt: string | null;
  readonly lastError: string | null;
  /** Times the stream (or the callback registration) was retried after a loss or failure. */
  readonly reconnects: number;
  readonly eventsReceived: number;
}

export type ChangeListener = (change: MarathonChange) => void;

/** `Accept: text/event-stream` is sent by the transport; without it Marathon answers 405 or JSON. */
export const EVENTS_PATH = `/v2/events?${WATCHED_EVENT_TYPES.map((t) => `event_type=${t}`).join("&")}&plan-format=light`;

const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 };

export class MarathonWatcher {
  readonly #settings: WatcherSettings;
  readonly #transport: MarathonTransport;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  readonly #callbackUrl: string;
  readonly #backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly #random: () => number;
  #listener: ChangeListener | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #stream: AbortController | null = null;
  #wake: (() => void) | null = null;
  #connected = false;
  #registered = false;
  #endpoint = "";
  #leaderFromApi: string | null = null;
  #lastEventAt: number | null = null;
  #lastError: string | null = null;
  #reconnects = 0;
  #events = 0;

  /** `transport` is shared with the client: an endpoint or leader either learns serves both. */
  constructor(transport: MarathonTransport, settings: WatcherSettings, deps: WatcherDeps = {}) {
    this.#settings = settings;
    this.#transport = transport;
    this.#now = deps.now ?? Date.now;
    this.#log = deps.log;
    this.#callbackUrl = deps.callbackUrl ?? "";
    this.#backoff = deps.backoff ?? DEFAULT_BACKOFF;
    this.#random = deps.random ?? Math.random;
  }

  /** Starts watching; `listener` hears every change, beginning with a full resync on each (re)connect. */
  start(listener: ChangeListener): void {
    if (this.#running !== null) throw new Error("MarathonWatcher.start called twice");
    this.#listener = listener;
    this.#stopped = false;
    this.#running = (this.#settings.useEventStream ? this.#streamLoop() : this.#registerLoop()).catch((error) => {
      this.#log?.error("marathon watcher stopped unexpectedly", { error: String(error) });
    });
  }

  /** Closes the stream and ends every retry; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stream?.abort();
    this.#wake?.();
    await this.#running;
    this.#running = null;
  }

  status(): WatcherStatus {
    return {
      mode: this.#settings.useEventStream ? "stream" : "callback",
      endpoint: this.#endpoint || this.#transport.endpoint,
      leader: this.#transport.leader ?? this.#leaderFromApi,
      streamConnected: this.#connected,
      callbackRegistered: this.#registered,
      lastEventAt: this.#lastEventAt === null ? null : new Date(this.#lastEventAt).toISOString(),
      lastError: this.#lastError,
      reconnects: this.#reconnects,
      eventsReceived: this.#events,
    };
  }

  /** Legacy callback mode: the HTTP layer hands over a posted event body; returns what it invalidates. */
  changeFromCallback(body: unknown): MarathonChange | null {
    this.#events++;
    this.#lastEventAt = this.#now();
    return changeFromCallback(body);
  }

  async #streamLoop(): Promise<void> {
    let failures = 0;
    let first = true;
    while (!this.#stopped) {
      if (!first) this.#reconnects++;
      first = false;
      const controller = new AbortController();
      this.#stream = controller;
      let endpoint = "";
      let silent = false;
      try {
        const opened = await this.#transport.stream(EVENTS_PATH, controller.signal);
        endpoint = opened.endpoint;
        this.#endpoint = endpoint;
        this.#connected = true;
        this.#lastError = null;
        this.#log?.info("marathon event stream connected", { url: opened.url });
        this.#emit({ kind: "all", reason: "stream connected" });
        void this.#learnLeader();
        const result = await this.#read(opened.response, controller);
        silent = result.silent;
        if (result.bytes > 0) failures = 0;
        this.#lastError = silent ? `event stream silent for ${this.#settings.streamTimeoutMs} ms; reopening` : "Marathon closed the event stream";
      } catch (error) {
        if (this.#stopped) break;
        this.#lastError = describeStreamError(error);
      } finally {
        // Closes the connection whatever ended the read: a refused event leaves the rest unread.
        controller.abort();
        this.#connected = false;
        this.#stream = null;
      }
      if (this.#stopped) break;
      this.#log?.warn("marathon event stream lost", { error: this.#lastError });
      // A stream that stalls without closing will likely stall again on the same host.
      if (silent && endpoint !== "") this.#transport.demote(endpoint);
      await this.#sleep(this.#delay(failures++));
    }
  }

  /** Reads until the stream ends, the watcher stops, or it stays silent for streamTimeoutMs. */
  async #read(response: Response, controller: AbortController): Promise<{ silent: boolean; bytes: number }> {
    const body = response.body;
    if (body === null) return { silent: false, bytes: 0 };
    const reader = body.getReader();
    const parser = new SseParser(this.#settings.maxEventBytes);
    let silent = false;
    let bytes = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cancel = () => void reader.cancel().catch(() => undefined);
    controller.signal.addEventListener("abort", cancel, { once: true });
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        controller.abort();
      }, this.#settings.streamTimeoutMs);
    };
    arm();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        // Heartbeats are bytes too: they prove the stream alive even when no event comes.
        bytes += value.byteLength;
        arm();
        for (const event of parser.feed(value)) {
          this.#events++;
          this.#lastEventAt = this.#now();
          // Already announced as "stream connected" when the connection opened.
          if (event.eventType === "event_stream_attached") continue;
          const change = changeOf(event);
          if (change !== null) this.#emit(change);
        }
      }
    } catch (error) {
      if (!silent && !this.#stopped) throw error;
    } finally {
      clearTimeout(timer);
      controller.signal.removeEventListener("abort", cancel);
      reader.releaseLock();
    }
    return { silent, bytes };
  }

  async #registerLoop(): Promise<void> {
    if (this.#callbackUrl === "") {
      this.#lastError = "callback mode needs BAMBOO_ENDPOINT, the URL Marathon can post events to";
      this.#log?.error(this.#lastError);
      return;
    }
    let failures = 0;
    while (!this.#stopped) {
      try {
        await this.#transport.json(`/v2/eventSubscriptions?callbackUrl=${encodeURIComponent(this.#callbackUrl)}`, { method: "POST" });
        this.#registered = true;
        this.#lastError = null;
        this.#endpoint = this.#transport.endpoint;
        this.#log?.info("marathon event callback registered", { callbackUrl: this.#callbackUrl });
        this.#emit({ kind: "all", reason: "callback registered" });
        void this.#learnLeader();
        return;
      } catch (error) {
        this.#lastError = errorMessage(error);
        this.#log?.warn("marathon event callback registration failed", { error: this.#lastError });
      }
      this.#reconnects++;
      await this.#sleep(this.#delay(failures++));
    }
  }

  /** Asks /v2/leader when answers carried no X-Marathon-Leader header; status only, so failures are ignored. */
  async #learnLeader(): Promise<void> {
    if (this.#transport.leader !== null) return;
    try {
      const answer = await this.#transport.json("/v2/leader");
      if (isObject(answer.body) && typeof answer.body.leader === "string") this.#leaderFromApi = answer.body.leader;
    } catch {
      // Status only: the stream works without knowing the leader.
    }
  }

  #emit(change: MarathonChange): void {
    try {
      this.#listener?.(change);
    } catch (error) {
      this.#log?.error("marathon change listener failed", { error: String(error) });
    }
  }

  #delay(failures: number): number {
    return jittered(backoffDelay(failures + 1, this.#backoff), this.#random);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** Why the stream ended, for `status().lastError`: a refused event names its setting and what to do. */
function describeStreamError(error: unknown): string {
  if (error instanceof EventTooLargeError) {
    return `${error.message} (MARATHON_MAX_EVENT_SIZE): the stream was dropped, and is reopened with every app refetched. Raise MARATHON_MAX_EVENT_SIZE if Marathon really sends events that large`;
  }
  return errorMessage(error);
}
