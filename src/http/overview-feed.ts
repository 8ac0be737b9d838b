import type { Logger } from "../system/log.ts";
import type { OverviewBody } from "./overview.ts";
import type { HAProxyServerState, Overview, OverviewApp, OverviewChanges } from "./ui/api-types.ts";

export interface OverviewFeedDeps {
  /** Builds the overview from the appliance's current state and HAProxy's server states. */
  readonly build: (haproxy: ReadonlyMap<string, HAProxyServerState>) => OverviewBody;
  /** HAProxy's state of each server by "host:port"; may reject when HAProxy is down. */
  readonly haproxyStates: () => Promise<ReadonlyMap<string, HAProxyServerState>>;
  /** Does ahead of a build, giving way as it goes, what new states will cost it. */
  readonly prepare?: (haproxy: ReadonlyMap<string, HAProxyServerState>) => Promise<void>;
  /** How often HAProxy is asked while someone watches: its health checks change states on their own. */
  readonly pollMs: number;
  readonly log: Logger;
  readonly now?: () => Date;
  /** Other events the same stream carries (traffic). */
  readonly extras?: readonly StreamExtra[];
}

/**
 * Events the page's one stream carries besides the overview: what a new stream starts with,
 * then what follows. They have no id: `Last-Event-ID` keeps naming the overview's version.
 */
export interface StreamExtra {
  readonly opening: () => readonly { readonly event: string; readonly json: string }[];
  readonly subscribe: (send: (event: string, json: string) => void) => () => void;
}

const PING_MS = 15_000;
/** Browsers hear of a change this soon after it was applied; bursts collapse into one push. */
const PUSH_DELAY_MS = 100;
/**
 * The feed's work (asking HAProxy, rebuilding, serialising) may take at most about a tenth
 * of the time: it shares the event loop with routing. At 10,000 apps a push is several
 * megabytes, and polling and pushing at the small-cluster pace made event→routable 25 times
 * slower while a browser watched.
 */
const WORK_SHARE = 10;

/**
 * The overview and its live stream (`GET /api/events`). It is rebuilt lazily after the
 * appliance applied something and, while a browser watches, on a poll of HAProxy paced by
 * its own cost; subscribers hear only real changes, each with a new version: the full
 * overview when they connect, then only the rows that changed.
 */
export class OverviewFeed {
  /** Event ids name this process, so an id from before a restart never matches a new overview. */
  readonly #epoch = crypto.randomUUID().slice(0, 8);
  #overview: Overview;
  #json: string | null = null;
  /** Each row's JSON, kept for as long as the row object is unchanged. */
  readonly #rowJson = new WeakMap<OverviewApp, string>();
  #smallPartsKey = "";
  #stale = true;
  #states: ReadonlyMap<string, HAProxyServerState> = new Map();
  #subscribers = new Set<(changes: OverviewChanges) => void>();
  #poll: ReturnType<typeof setTimeout> | null = null;
  #pushTimer: ReturnType<typeof setTimeout> | null = null;
  /** How long the last rebuild and push took, and the last poll of HAProxy. */
  #pushCostMs = 0;
  #pollCostMs = 0;

  constructor(private readonly deps: OverviewFeedDeps) {
    const body = deps.build(new Map());
    this.#overview = this.#versioned(0, body);
    this.#smallPartsKey = smallPartsKey(body);
  }

  /** The overview as of now; rebuilt only when something changed since it was last asked for. */
  current(): Overview {
    if (this.#stale) this.#rebuild();
    return this.#overview;
  }

  /** HAProxy's view of every server by "host:port", as last polled (later ports' backends too). */
  serverStates(): ReadonlyMap<string, HAProxyServerState> {
    return this.#states;
  }

  /** The current overview as JSON, assembled from each row's own JSON (kept while the row is unchanged). */
  currentJson(): string {
    const overview = this.current();
    return (this.#json ??= overviewJson(overview, this.#rowJson));
  }

  /**
   * The appliance applied something. Nothing is built here: on the churn path every
   * millisecond counts, so the overview is rebuilt when asked for, or shortly after for
   * browsers that watch the stream.
   */
  invalidate(): void {
    this.#stale = true;
    if (this.#subscribers.size > 0 && this.#pushTimer === null) {
      this.#pushTimer = setTimeout(
        () => {
          this.#pushTimer = null;
          this.#timed(() => this.current());
        },
        Math.max(PUSH_DELAY_MS, WORK_SHARE * this.#pushCostMs),
      );
    }
  }

  /** Asks HAProxy for its view of the servers, then rebuilds. */
  async refresh(): Promise<void> {
    const started = performance.now();
    try {
      const states = await this.deps.haproxyStates();
      await this.deps.prepare?.(states);
      this.#states = states;
    } catch (error) {
      this.deps.log.debug("could not read HAProxy's server states for the overview", { error });
    }
    this.#pollCostMs = performance.now() - started;
    this.#stale = true;
    this.#timed(() => this.current());
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
        const send = (event: string, id: string, json: string) => controller.enqueue(encoder.encode(`id: ${id}\nevent: ${event}\ndata: ${json}\n\n`));
        const sendExtra = (event: string, json: string) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${json}\n\n`));
        const current = this.current();
        if (current.eventId === known) controller.enqueue(encoder.encode(": up to date\n\n"));
        else send("overview", current.eventId, this.currentJson());
        const extras = this.deps.extras ?? [];
        for (const extra of extras) for (const { event, json } of extra.opening()) sendExtra(event, json);
        const ping = setInterval(() => controller.enqueue(encoder.encode(": ping\n\n")), PING_MS);
        const unsubscribes = [this.#subscribe((changes) => send("changes", changes.eventId, JSON.stringify(changes))), ...extras.map((extra) => extra.subscribe(sendExtra))];
        cleanup = () => {
          clearInterval(ping);
          for (const unsubscribe of unsubscribes) unsubscribe();
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
    if (this.#poll) clearTimeout(this.#poll);
    if (this.#pushTimer) clearTimeout(this.#pushTimer);
    this.#poll = null;
    this.#pushTimer = null;
    this.#subscribers.clear();
  }

  #subscribe(listener: (changes: OverviewChanges) => void): () => void {
    this.#subscribers.add(listener);
    if (this.#poll === null) this.#schedulePoll(0);
    return () => {
      this.#subscribers.delete(listener);
      if (this.#subscribers.size === 0 && this.#poll) {
        clearTimeout(this.#poll);
        this.#poll = null;
      }
    };
  }

  /** Polls again after the interval, or longer when the last poll and push were costly. */
  #schedulePoll(delayMs: number): void {
    const timer = setTimeout(() => {
      void this.refresh().finally(() => {
        // Stopped (nobody watches) or replaced by a newer chain of polls while this one ran.
        if (this.#poll !== timer || this.#subscribers.size === 0) return;
        this.#schedulePoll(Math.max(this.deps.pollMs, WORK_SHARE * (this.#pollCostMs + this.#pushCostMs)));
      });
    }, delayMs);
    this.#poll = timer;
  }

  #timed(work: () => void): void {
    const started = performance.now();
    work();
    this.#pushCostMs = performance.now() - started;
  }

  #rebuild(): void {
    this.#stale = false;
    const body = this.deps.build(this.#states);
    const key = smallPartsKey(body);
    // Rows are the same objects while unchanged (overview.ts): no need to serialise them to compare.
    if (key === this.#smallPartsKey && sameRows(body.apps, this.#overview.apps)) return;
    const previous = this.#overview;
    this.#smallPartsKey = key;
    this.#overview = this.#versioned(previous.version + 1, body);
    this.#json = null;
    if (this.#subscribers.size === 0) return;
    const changes = changesBetween(previous, this.#overview);
    for (const listener of this.#subscribers) listener(changes);
  }

  #versioned(version: number, body: OverviewBody): Overview {
    return { version, eventId: `${this.#epoch}.${version}`, generatedAt: this.#now(), ...body };
  }

  #now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}

function sameRows(a: readonly OverviewApp[], b: readonly OverviewApp[]): boolean {
  return a.length === b.length && a.every((row, i) => row === b[i]);
}

/** Rows that are not the same object as the previous version's row of that id, and ids gone. */
function changesBetween(previous: Overview, next: Overview): OverviewChanges {
  const before = new Map(previous.apps.map((row) => [row.id, row]));
  const ids = new Set(next.apps.map((row) => row.id));
  return {
    ...next,
    apps: next.apps.filter((row) => before.get(row.id) !== row),
    removed: previous.apps.filter((row) => !ids.has(row.id)).map((row) => row.id),
  };
}

function smallPartsKey(body: OverviewBody): string {
  return JSON.stringify([body.orphanServices, body.warnings, body.overlaps, body.elsewhere]);
}

/** JSON.stringify(overview), with each row serialised once for as long as it is unchanged. */
function overviewJson(overview: Overview, rowJson: WeakMap<OverviewApp, string>): string {
  const { apps, ...rest } = overview;
  const rows = apps.map((row) => {
    let json = rowJson.get(row);
    if (json === undefined) rowJson.set(row, (json = JSON.stringify(row)));
    return json;
  });
  const head = JSON.stringify(rest);
  return `${head.slice(0, -1)},"apps":[${rows.join(",")}]}`;
}
