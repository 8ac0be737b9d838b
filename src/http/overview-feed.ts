import type { Logger } from "../system/log.ts";
import type { OverviewBody } from "./overview.ts";
import type { HAProxyServerState, Overview } from "./ui/api-types.ts";

export interface OverviewFeedDeps {
  /** Builds the overview from the appliance's current state and HAProxy's server states. */
  readonly build: (haproxy: ReadonlyMap<string, HAProxyServerState>) => OverviewBody;
  /** HAProxy's state of each server by "host:port"; may reject when HAProxy is down. */
  readonly haproxyStates: () => Promise<ReadonlyMap<string, HAProxyServerState>>;
  /** How often HAProxy is asked while someone watches: its health checks change states on their own. */
  readonly pollMs: number;
  readonly log: Logger;
  readonly now?: () => Date;
}

const PING_MS = 15_000;
/** Browsers hear of a change this soon after it was applied; bursts collapse into one push. */
const PUSH_DELAY_MS = 100;

/**
 * The overview and its live stream (`GET /api/events`). It is rebuilt lazily after the
 * appliance applied something and, while a browser watches, on a short poll of HAProxy;
 * subscribers hear only real changes, each with a new version.
 */
export class OverviewFeed {
  /** Event ids name this process, so an id from before a restart never matches a new overview. */
  readonly #epoch = crypto.randomUUID().slice(0, 8);
  #overview: Overview;
  #key = "";
  #stale = true;
  #states: ReadonlyMap<string, HAProxyServerState> = new Map();
  #subscribers = new Set<(overview: Overview) => void>();
  #poll: ReturnType<typeof setInterval> | null = null;
  #pushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: OverviewFeedDeps) {
    this.#overview = this.#versioned(0, deps.build(new Map()));
  }

  /** The overview as of now; rebuilt only when something changed since it was last asked for. */
  current(): Overview {
    if (this.#stale) this.#rebuild();
    return this.#overview;
  }

  /**
   * The appliance applied something. Nothing is built here: on the churn path every
   * millisecond counts, so the overview is rebuilt when asked for, or shortly after for
   * browsers that watch the stream.
   */
  invalidate(): void {
    this.#stale = true;
    if (this.#subscribers.size > 0 && this.#pushTimer === null) {
      this.#pushTimer = setTimeout(() => {
        this.#pushTimer = null;
        this.current();
      }, PUSH_DELAY_MS);
    }
  }

  /** Asks HAProxy for its view of the servers, then rebuilds. */
  async refresh(): Promise<void> {
    try {
      this.#states = await this.deps.haproxyStates();
    } catch (error) {
      this.deps.log.debug("could not read HAProxy's server states for the overview", { error });
    }
    this.#stale = true;
    this.current();
  }

  /**
   * A server-sent-events response: the overview at once, then every change. A client that
   * already has the current overview (`Last-Event-ID` on a reconnect, `?since=` after the
   * page's first GET) is not sent it again: at 1,000 apps that is 600 KB to parse for nothing.
   */
  stream(request: Request): Response {
    const encoder = new TextEncoder();
    const known = request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("since");
    let cleanup = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (overview: Overview) => controller.enqueue(encoder.encode(`id: ${overview.eventId}\nevent: overview\ndata: ${JSON.stringify(overview)}\n\n`));
        const current = this.current();
        if (current.eventId === known) controller.enqueue(encoder.encode(": up to date\n\n"));
        else send(current);
        const ping = setInterval(() => controller.enqueue(encoder.encode(": ping\n\n")), PING_MS);
        const unsubscribe = this.#subscribe(send);
        cleanup = () => {
          clearInterval(ping);
          unsubscribe();
        };
        request.signal.addEventListener("abort", () => {
          cleanup();
          try {
            controller.close();
          } catch {
            // already closed by the client
          }
        });
      },
      cancel: () => cleanup(),
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
    });
  }

  close(): void {
    if (this.#poll) clearInterval(this.#poll);
    if (this.#pushTimer) clearTimeout(this.#pushTimer);
    this.#poll = null;
    this.#pushTimer = null;
    this.#subscribers.clear();
  }

  #subscribe(listener: (overview: Overview) => void): () => void {
    this.#subscribers.add(listener);
    if (this.#poll === null) this.#poll = setInterval(() => void this.refresh(), this.deps.pollMs);
    void this.refresh();
    return () => {
      this.#subscribers.delete(listener);
      if (this.#subscribers.size === 0 && this.#poll) {
        clearInterval(this.#poll);
        this.#poll = null;
      }
    };
  }

  #rebuild(): void {
    this.#stale = false;
    const body = this.deps.build(this.#states);
    const key = JSON.stringify(body);
    if (key === this.#key) return;
    this.#key = key;
    this.#overview = this.#versioned(this.#overview.version + 1, body);
    for (const listener of this.#subscribers) listener(this.#overview);
  }

  #versioned(version: number, body: OverviewBody): Overview {
    return { version, eventId: `${this.#epoch}.${version}`, generatedAt: this.#now(), ...body };
  }

  #now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}
