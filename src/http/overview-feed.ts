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

/**
 * The overview and its live stream (`GET /api/events`). It is rebuilt when the appliance
 * applied something and, while a browser watches, on a short poll of HAProxy; subscribers
 * hear only real changes, each with a new version.
 */
export class OverviewFeed {
  #overview: Overview;
  #key = "";
  #subscribers = new Set<(overview: Overview) => void>();
  #poll: ReturnType<typeof setInterval> | null = null;
  #refreshing: Promise<void> | null = null;
  #again = false;

  constructor(private readonly deps: OverviewFeedDeps) {
    this.#overview = { version: 0, generatedAt: this.#now(), ...deps.build(new Map()) };
  }

  current(): Overview {
    return this.#overview;
  }

  /** Recomputes now; concurrent calls collapse into one more run. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = this.#rebuild().finally(() => {
      this.#refreshing = null;
      if (this.#again) {
        this.#again = false;
        void this.refresh();
      }
    });
    return this.#refreshing;
  }

  /** A server-sent-events response: the overview at once, then every change. */
  stream(request: Request): Response {
    const encoder = new TextEncoder();
    let cleanup = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (overview: Overview) => controller.enqueue(encoder.encode(`event: overview\ndata: ${JSON.stringify(overview)}\n\n`));
        send(this.#overview);
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
    this.#poll = null;
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

  async #rebuild(): Promise<void> {
    let states: ReadonlyMap<string, HAProxyServerState> = new Map();
    try {
      states = await this.deps.haproxyStates();
    } catch (error) {
      this.deps.log.debug("could not read HAProxy's server states for the overview", { error });
    }
    const body = this.deps.build(states);
    const key = JSON.stringify(body);
    if (key === this.#key) return;
    this.#key = key;
    this.#overview = { version: this.#overview.version + 1, generatedAt: this.#now(), ...body };
    for (const listener of this.#subscribers) listener(this.#overview);
  }

  #now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}
