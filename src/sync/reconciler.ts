import type { ApplyOutcome } from "../haproxy/apply.ts";
import type { App, KnownApps, MarathonChange } from "../marathon/types.ts";
import type { Service } from "../store/types.ts";
import type { NamedCertificate } from "../tls/certificate.ts";
import { backoffDelay } from "../system/backoff.ts";
import type { Logger } from "../system/log.ts";
import { mergeFullList, shrinkOf, type FullAppList } from "./app-list.ts";
import { errorMessage } from "../system/error-message.ts";
import { Histogram, type HistogramSnapshot } from "../system/histogram.ts";

/** One whole, immutable state of the world that HAProxy should serve. */
export interface Snapshot {
  readonly apps: readonly App[];
  readonly services: readonly Service[];
  /** The certificates HTTPS serves (sync/certificate-sources.ts). */
  readonly certificates: readonly NamedCertificate[];
}

export interface ReconcilerDeps {
  /** Where apps come from: Marathon, or the apps another appliance publishes (cluster/fanout.ts). */
  readonly marathon: {
    /** `known`: the apps the reconciler holds, handed back when Marathon answers them the same (marathon/types.ts). */
    fetchApps(known?: KnownApps): Promise<FullAppList>;
    /** null: the app no longer exists. */
    fetchApp(id: string): Promise<App | null>;
    /** Whether a fetch is a request to Marathon (counted in the status); true when left out. */
    asksMarathon?(): boolean;
  };
  /** Hears the apps after every fetch that went through, before they are applied: the leader publishes them. */
  readonly fetched?: (apps: readonly App[]) => void;
  readonly services: () => readonly Service[];
  readonly certificates: () => readonly NamedCertificate[];
  /**
   * Renders, validates and applies a snapshot; resolves with the outcome. A `failed` outcome
   * or a rejection (a full disk) may work later and is retried; an `invalid` one cannot
   * until something changes.
   */
  readonly apply: (snapshot: Snapshot, reasons: readonly string[]) => Promise<ApplyOutcome>;
  readonly log: Logger;
  readonly settings: {
    /** Changes arriving within this window are applied together. */
    readonly coalesceMs: number;
    readonly resyncIntervalMs: number;
    /** Above this many changed apps one full fetch is cheaper than many single ones. */
    readonly maxAppFetches: number;
    /** How long a lazy full resync (after a group change) may wait, gathering others. */
    readonly lazyResyncMs: number;
    /** A full list removing more than this share (0..1] of the known apps, or all, needs confirming. */
    readonly confirmShrinkAbove: number;
    /** How long after such a list a second full fetch confirms it. */
    readonly confirmShrinkMs: number;
  };
  readonly now?: () => Date;
}

export interface ReconcilerStatus {
  /** True once Marathon delivered a first full state and it was applied. */
  readonly synced: boolean;
  readonly lastSyncAt: string | null;
  readonly lastFullSyncAt: string | null;
  readonly lastError: string | null;
  /** Why the last full list fetched is not applied yet (a shrink waiting for confirmation). */
  readonly holding: string | null;
  readonly marathonRequests: number;
  readonly runs: number;
  readonly apps: number;
}

/** Marathon is retried patiently: many appliances hammering a recovering leader would not help it. */
const FETCH_BACKOFF = { initialMs: 500, maxMs: 30_000 };
/** A failed apply (a full disk, HAProxy refusing to start) is retried soon, so recovery is prompt. */
const APPLY_BACKOFF = { initialMs: 250, maxMs: 2_000 };
/**
 * A full fetch that brought this many new or changed apps is followed by full collections,
 * before and after applying it. What the apps replaced (their template data, rendered text
 * and config sections) is old enough that the collector frees it only in a full collection,
 * which it puts off in proportion to the heap; meanwhile the next fetch and compile stack
 * theirs on top. At bamboo's start with 10,000 apps this kept the peak memory about 10 MB
 * lower, for tens of milliseconds each; a periodic resync that changes little never does it.
 */
const COLLECT_AFTER_CHANGED_APPS = 1_000;

/**
 * The only loop that decides when to act. Changes only mark what is stale; one run at a
 * time fetches what they invalidated (one app where the event names it), builds a new
 * snapshot and applies it. A burst of events therefore costs a bounded number of Marathon
 * requests and one apply, and a failed fetch keeps the last known apps: routes are never
 * emptied because Marathon was briefly unwell.
 */
export class Reconciler {
  #apps = new Map<string, App>();
  /**
   * {@link apps} until the apps change: a rule write then hands compile the same list, which
   * spares sorting 10,000 apps and lets every stage keyed on the list skip its pass.
   */
  #sortedApps: readonly App[] | null = null;
  #staleApps = new Set<string>();
  #fullResyncWanted = true;
  #fetchedAll = false;
  /** Rules or certificates changed: the next run applies them, with no Marathon request of its own. */
  #inputsChanged = false;
  /** When the oldest change not yet applied was marked: the start of event → applied. */
  #changedSince: number | null = null;
  readonly #eventToApplied = new Histogram();
  #reasons = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** True while the first run's timer is the wait of {@link start}, which a notice cuts short. */
  #firstRunWaiting = false;
  #lazyTimer: ReturnType<typeof setTimeout> | null = null;
  #lazyReasons = new Set<string>();
  #resyncTimer: ReturnType<typeof setInterval> | null = null;
  #running: Promise<void> | null = null;
  /** Failed runs in a row; the next run waits longer for each. */
  #failures = 0;
  #retryMs = 0;
  /** When a shrinking full list was first seen; it is applied once a fetch this long after agrees. */
  #shrinkSeenAt: number | null = null;
  #confirmTimer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];
  #status: ReconcilerStatus = {
    synced: false,
    lastSyncAt: null,
    lastFullSyncAt: null,
    lastError: null,
    holding: null,
    marathonRequests: 0,
    runs: 0,
    apps: 0,
  };

  constructor(private readonly deps: ReconcilerDeps) {}

  /**
   * Starts syncing. The first full fetch waits up to `firstRunWithinMs` for a first notice
   * (the event stream's "connected", which asks for a full sync anyway): a fetch started
   * before it would be followed by a second one, 7 MB more at 10,000 apps at start-up.
   */
  start(firstRunWithinMs = 0): void {
    this.#resyncTimer = setInterval(() => this.notify({ kind: "all", reason: "periodic resync" }), this.deps.settings.resyncIntervalMs);
    this.#schedule(firstRunWithinMs);
    this.#firstRunWaiting = firstRunWithinMs > 0;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    if (this.#confirmTimer) clearTimeout(this.#confirmTimer);
    if (this.#resyncTimer) clearInterval(this.#resyncTimer);
  }

  status(): ReconcilerStatus {
    return this.#status;
  }

  /** From a change being marked (an event, a rule or certificate write) to HAProxy running it. */
  eventToApplied(): HistogramSnapshot {
    return this.#eventToApplied.snapshot();
  }

  /** The apps as last fetched, sorted by id. */
  apps(): readonly App[] {
    this.#sortedApps ??= [...this.#apps.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.#sortedApps;
  }

  /** Marks what a Marathon event invalidated. */
  notify(change: MarathonChange): void {
    if (change.kind === "all" && change.lazy) {
      this.#lazyReasons.add(change.reason);
      this.#lazyTimer ??= setTimeout(() => {
        this.#lazyTimer = null;
        const reasons = [...this.#lazyReasons];
        this.#lazyReasons.clear();
        this.notify({ kind: "all", reason: reasons.join(", ") });
      }, this.deps.settings.lazyResyncMs);
      return;
    }
    if (change.kind === "all") {
      this.#fullResyncWanted = true;
      this.#reasons.add(change.reason);
    } else if (change.kind === "apps") {
      this.#changedSince ??= performance.now();
      for (const id of change.appIds) this.#staleApps.add(id);
      this.#reasons.add(`${change.reason}: ${change.appIds.join(", ")}`);
    } else {
      this.#changedSince ??= performance.now();
      this.#staleApps.add(change.appId);
      this.#reasons.add(`app ${change.appId} changed`);
    }
    this.#schedule(this.deps.settings.coalesceMs);
  }

  /**
   * Where apps come from changed, or has new apps (cluster/fanout.ts: leadership moved, a new
   * version was published): everything is fetched again at once, cutting short a wait after
   * failed fetches, which were failures of the source before.
   */
  sourceChanged(reason: string): void {
    this.#fullResyncWanted = true;
    this.#reasons.add(reason);
    this.#failures = 0;
    this.#retryMs = 0;
    if (this.#timer !== null && this.#running === null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#schedule(this.deps.settings.coalesceMs);
  }

  /** The routing rules changed (a write through the API, or another instance's write). */
  servicesChanged(): void {
    this.#inputChanged("services changed");
  }

  certificatesChanged(): void {
    this.#inputChanged("certificates changed");
  }

  #inputChanged(reason: string): void {
    this.#changedSince ??= performance.now();
    this.#inputsChanged = true;
    this.#reasons.add(reason);
    // A write waits for its apply: no delay. Writes arriving during a run are taken by the next one together.
    this.#schedule(0);
  }

  /** Resolves when no change is pending or running; for tests and orderly shutdown. */
  whenIdle(): Promise<void> {
    if (!this.#busy()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #busy(): boolean {
    return this.#timer !== null || this.#running !== null || this.#lazyTimer !== null;
  }

  #schedule(delayMs: number): void {
    if (this.#firstRunWaiting && this.#timer !== null) {
      // The notice the first run waited for: run as it asks rather than when the wait ends.
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#firstRunWaiting = false;
    if (this.#stopped || this.#timer !== null) return;
    // A run in progress picks the new marks up when it ends (see #run).
    if (this.#running !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#firstRunWaiting = false;
      this.#running = this.#run().finally(() => {
        this.#running = null;
        if (this.#hasWork() && !this.#stopped) this.#schedule(this.#retryMs || this.deps.settings.coalesceMs);
        else this.#settle();
      });
    }, delayMs);
  }

  #hasWork(): boolean {
    return this.#fullResyncWanted || this.#staleApps.size > 0 || this.#inputsChanged;
  }

  #settle(): void {
    if (this.#busy()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #run(): Promise<void> {
    const { marathon, log, settings } = this.deps;
    const full = this.#fullResyncWanted || this.#staleApps.size > settings.maxAppFetches;
    const stale = [...this.#staleApps];
    const reasons = [...this.#reasons];
    const since = this.#changedSince;
    this.#changedSince = null;
    this.#fullResyncWanted = false;
    this.#staleApps.clear();
    this.#inputsChanged = false;
    this.#reasons.clear();
    /** Apps the full list brought new or changed. */
    let changed = 0;

    try {
      if (full) {
        this.#count(1);
        const list = await marathon.fetchApps((id) => this.#apps.get(id));
        const next = mergeFullList(this.#apps, { apps: list.apps.map((app) => this.#known(app)), unreadable: list.unreadable });
        // A held list still lets rule changes through, against the last known apps.
        if (!this.#holdShrink(next)) {
          changed = changedApps(this.#apps, next);
          if (changed > 0) this.#sortedApps = null;
          this.#apps = next;
        }
      } else {
        this.#count(stale.length);
        const fetched = await Promise.all(stale.map(async (id) => [id, await marathon.fetchApp(id)] as const));
        for (const [id, app] of fetched) {
          const known = app ? this.#known(app) : undefined;
          if (known === this.#apps.get(id)) continue;
          this.#sortedApps = null;
          if (known) this.#apps.set(id, known);
          else this.#apps.delete(id);
        }
      }
    } catch (error) {
      // Keep the last known apps and try again: what was stale is still stale.
      if (full) this.#fullResyncWanted = true;
      for (const id of stale) this.#staleApps.add(id);
      for (const reason of reasons) this.#reasons.add(reason);
      this.#changedSince = since ?? this.#changedSince;
      this.#retryMs = backoffDelay(++this.#failures, FETCH_BACKOFF);
      const message = errorMessage(error);
      this.#status = { ...this.#status, lastError: message };
      log.warn("marathon fetch failed; keeping the last known apps", { error: message, retryInMs: this.#retryMs });
      return;
    }
    if (full) this.#fetchedAll = true;
    // Single-app answers before the first full list would apply a partial world.
    if (!this.#fetchedAll) return;
    this.deps.fetched?.(this.apps());

    const collect = changed >= COLLECT_AFTER_CHANGED_APPS;
    if (collect) Bun.gc(true);
    const snapshot: Snapshot = { apps: this.apps(), services: this.deps.services(), certificates: this.deps.certificates() };
    const failure = await this.deps.apply(snapshot, reasons).then(
      (outcome) => (outcome.kind === "failed" ? outcome.message : null),
      (error: unknown) => errorMessage(error),
    );
    if (collect) Bun.gc(true);
    if (failure !== null) {
      // Applying failed (HAProxy could not start or reload, a full disk...): the previous
      // config keeps serving, and the same snapshot is tried again with backoff.
      const message = failure;
      this.#inputsChanged = true;
      this.#changedSince = since ?? this.#changedSince;
      this.#reasons.add("retry after a failed apply");
      this.#retryMs = backoffDelay(++this.#failures, APPLY_BACKOFF);
      this.#status = { ...this.#status, lastError: message };
      log.error("could not apply the new snapshot; retrying", { error: message, retryInMs: this.#retryMs });
      return;
    }
    this.#failures = 0;
    this.#retryMs = 0;
    if (since !== null) this.#eventToApplied.observe((performance.now() - since) / 1000);
    const at = (this.deps.now?.() ?? new Date()).toISOString();
    this.#status = {
      ...this.#status,
      synced: true,
      lastSyncAt: at,
      lastFullSyncAt: full ? at : this.#status.lastFullSyncAt,
      lastError: null,
      runs: this.#status.runs + 1,
      apps: snapshot.apps.length,
    };
  }

  /**
   * True when `next` would remove many known apps and is not yet confirmed: the last known
   * apps keep routing, and a second full fetch `confirmShrinkMs` later decides. Marathon
   * answers an empty or partial list for a while after a leader change; applying it at once
   * would drop those routes.
   */
  #holdShrink(next: ReadonlyMap<string, App>): boolean {
    const { settings, log } = this.deps;
    const shrink = this.#fetchedAll ? shrinkOf(this.#apps, next, settings.confirmShrinkAbove) : null;
    const now = Date.now();
    if (shrink === null || (this.#shrinkSeenAt !== null && now - this.#shrinkSeenAt >= settings.confirmShrinkMs)) {
      if (shrink !== null) log.warn("marathon confirmed the shrunken app list; removing routes", { ...shrink });
      this.#shrinkSeenAt = null;
      if (this.#status.holding !== null) this.#status = { ...this.#status, holding: null };
      return false;
    }
    if (this.#shrinkSeenAt === null) {
      this.#shrinkSeenAt = now;
      log.warn("marathon's app list would remove many apps; keeping them until a second fetch agrees", { ...shrink, confirmInMs: settings.confirmShrinkMs });
    }
    const holding = `Marathon listed ${shrink.to} of the ${shrink.from} known apps; their routes stay until a second fetch agrees`;
    this.#status = { ...this.#status, holding };
    this.#confirmTimer ??= setTimeout(() => {
      this.#confirmTimer = null;
      this.notify({ kind: "all", reason: "confirming a shrunken app list" });
    }, Math.max(0, this.#shrinkSeenAt + settings.confirmShrinkMs - now));
    return true;
  }

  /**
   * The app object already known when Marathon answered the same: unchanged apps keep their
   * identity, which is how everything downstream (template data, rendered text, slots) tells
   * in microseconds that they need no work. A periodic resync of 10,000 apps then costs
   * the fetch, not a full render.
   */
  #known(app: App): App {
    const known = this.#apps.get(app.id);
    // Apps another appliance published come back as the same objects while unchanged.
    if (known === app) return known;
    return known !== undefined && Bun.deepEquals(known, app, true) ? known : app;
  }

  #count(requests: number): void {
    if (this.deps.marathon.asksMarathon?.() === false) return;
    this.#status = { ...this.#status, marathonRequests: this.#status.marathonRequests + requests };
  }
}

/** Apps of `next` that are not the same object in `known`, and apps of `known` gone from `next`. */
function changedApps(known: ReadonlyMap<string, App>, next: ReadonlyMap<string, App>): number {
  let changed = 0;
  for (const [id, app] of next) if (known.get(id) !== app) changed++;
  for (const id of known.keys()) if (!next.has(id)) changed++;
  return changed;
}
