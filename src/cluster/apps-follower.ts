import type { App } from "../marathon/types.ts";
import { errorMessage } from "../system/error-message.ts";
import { SerialRetry } from "../system/serial-retry.ts";
import { Histogram, type HistogramSnapshot } from "../system/histogram.ts";
import type { StoreLog } from "../store/types.ts";
import type { SessionUser, ZkKeeper } from "../store/zk-keeper.ts";
import { ZK_CODES, ZkOpError, type ZkSession } from "../store/zk-session.ts";
import { decodeBucket, decodeManifest, type Manifest } from "./published-apps.ts";

/**
 * A follower's side of the apps in ZooKeeper (published-apps.ts): it watches the manifest,
 * and for each new version reads only the buckets whose nodes changed. A version is taken
 * whole or not at all: if a bucket cannot be read or does not decode, the apps read before
 * keep routing and the problem is said. What was read last stays while ZooKeeper is away.
 *
 * @module
 */

export interface FollowerOptions {
  readonly keeper: ZkKeeper;
  /** The manifest's node. */
  readonly path: string;
  /** A version whose apps' JSON is longer than this is refused (MARATHON_MAX_RESPONSE_SIZE: no larger than Marathon may answer). */
  readonly maxBytes: number;
  readonly log?: StoreLog;
}

/** A published version as this follower read it; its apps are the follower's `apps()` and `app(id)`. */
export interface FollowedApps {
  readonly manifest: Manifest;
  /** When this follower had it (ISO). */
  readonly readAt: string;
  /** Ids of the apps new, changed or gone since the version read before; null for the first version read. */
  readonly changed: readonly string[] | null;
}

export interface FollowerStatus {
  readonly connected: boolean;
  readonly version: number | null;
  readonly publishedAt: string | null;
  readonly readAt: string | null;
  readonly lastError: string | null;
}

interface HeldBucket {
  readonly nodes: readonly string[];
  readonly apps: readonly App[];
  /** Its JSON's length, counted against maxBytes. */
  readonly bytes: number;
}

const MAX_RETRY_MS = 10_000;
/** A leader publishing faster than a follower reads can retire nodes under it: re-read at once this often. */
const MAX_QUICK_REREADS = 5;

/** A node the manifest named is gone: a newer manifest replaced it. */
class SupersededError extends Error {}

export class AppsFollower {
  readonly #options: FollowerOptions;
  readonly #onChange: (followed: FollowedApps) => void;
  readonly #user: SessionUser;
  readonly #lag = new Histogram();
  #detach: (() => void) | null = null;
  #session: ZkSession | null = null;
  #buckets = new Map<string, HeldBucket>();
  /** The apps of the version read last, by id; an app that did not change since the version before is the object read then. */
  #byId = new Map<string, App>();
  /** The same apps as a list, made when asked for (a full fetch), not at every version. */
  #list: readonly App[] | null = null;
  #followed: FollowedApps | null = null;
  #lastError: string | null = null;
  readonly #reads = new SerialRetry(
    () => this.#readCurrent(),
    (error, failures) => {
      // A newer version is there to read: at once, a few times, before backing off.
      if (error instanceof SupersededError && failures <= MAX_QUICK_REREADS) return "now";
      this.#lastError = `reading the published apps under ${this.#options.path}: ${errorMessage(error)}; routing the apps of version ${this.#followed?.manifest.version ?? "none"} meanwhile`;
      this.#options.log?.warn("could not read the published apps; trying again", { error: this.#lastError });
      return "later";
    },
    { initialMs: 250, maxMs: MAX_RETRY_MS },
  );
  /** The manifest's watch: one function, so re-arming it never stacks watches. */
  readonly #manifestChanged = () => this.#reads.request();

  constructor(options: FollowerOptions, onChange: (followed: FollowedApps) => void) {
    this.#options = options;
    this.#onChange = onChange;
    this.#user = {
      probePath: options.path,
      opened: () => {
        this.#session = null;
        this.#reads.cancel();
      },
      connected: (session) => {
        this.#session = session;
        this.#reads.request();
      },
      disconnected: () => undefined,
      lost: (reason) => {
        this.#session = null;
        this.#lastError = `${reason}; routing the apps of version ${this.#followed?.manifest.version ?? "none"} meanwhile`;
      },
    };
  }

  /** Follows the published apps; what was read before (as leader or follower) is kept until a newer version reads. */
  start(): void {
    this.#detach ??= this.#options.keeper.attach(this.#user);
  }

  stop(): void {
    this.#reads.cancel();
    this.#session = null;
    this.#detach?.();
    this.#detach = null;
  }

  /**
   * Forgets what was read: the next version is read whole and reported as the first. An
   * appliance that leads routes from Marathon, and what it read before leading tells nothing
   * about what changed by the time it follows again.
   */
  reset(): void {
    this.#buckets = new Map();
    this.#byId = new Map();
    this.#list = null;
    this.#followed = null;
  }

  /** Every app of the version read last. */
  apps(): readonly App[] {
    this.#list ??= [...this.#buckets.values()].flatMap((bucket) => bucket.apps);
    return this.#list;
  }

  /** One app of the version read last, undefined when it has none of that id. */
  app(id: string): App | undefined {
    return this.#byId.get(id);
  }

  /** The last version read, null before the first. */
  current(): FollowedApps | null {
    return this.#followed;
  }

  status(): FollowerStatus {
    const followed = this.#followed;
    return {
      connected: this.#session !== null && this.#session.connected,
      version: followed?.manifest.version ?? null,
      publishedAt: followed?.manifest.publishedAt ?? null,
      readAt: followed?.readAt ?? null,
      lastError: this.#lastError,
    };
  }

  /** From the leader's publishing a version (its clock) to this follower's having read it (this one's), in seconds. */
  lag(): HistogramSnapshot {
    return this.#lag.snapshot();
  }

  /** Reads what the current session shows; a failure of a session gone since is no failure. */
  async #readCurrent(): Promise<void> {
    const session = this.#session;
    if (session === null) return;
    try {
      await this.#read(session);
    } catch (error) {
      if (session === this.#session) throw error;
    }
  }

  async #read(session: ZkSession): Promise<void> {
    const { path } = this.#options;
    const body = await session.getData(path, this.#manifestChanged).catch(async (error: unknown) => {
      if (!(error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE)) throw error;
      // Nothing published yet: the watch on its creation brings the first version.
      if (await session.watchExists(path, this.#manifestChanged)) this.#reads.request();
      return null;
    });
    if (body === null || body.length === 0) return;
    const decoded = decodeManifest(body);
    if (!decoded.ok) throw new Error(`the manifest does not read: ${decoded.message}`);
    const manifest = decoded.value;
    if (manifest.version === this.#followed?.manifest.version && manifest.publishedAt === this.#followed.manifest.publishedAt) {
      this.#lastError = null;
      return;
    }
    const first = this.#followed === null;
    const buckets = new Map<string, HeldBucket>();
    const changed = new Set<string>();
    const { maxBytes } = this.#options;
    // Counted as buckets come in, so a version too large for memory stops before it is all decoded.
    let bytes = 0;
    for (const [bucket, nodes] of Object.entries(manifest.buckets)) {
      const held = this.#buckets.get(bucket);
      if (held !== undefined && sameList(held.nodes, nodes)) bytes += held.bytes;
    }
    await Promise.all(
      Object.entries(manifest.buckets).map(async ([bucket, nodes]) => {
        const held = this.#buckets.get(bucket);
        if (held !== undefined && sameList(held.nodes, nodes)) {
          buckets.set(bucket, held);
          return;
        }
        const parts = await Promise.all(nodes.map((node) => this.#readNode(session, `${path}/${node}`, manifest.version)));
        const decoded = decodeBucket(parts);
        if (!decoded.ok) throw new Error(`bucket ${bucket} of version ${manifest.version} does not read: ${decoded.message}`);
        bytes += decoded.value.bytes;
        if (bytes > maxBytes) throw new Error(`version ${manifest.version} holds more than ${maxBytes} bytes of apps, more than Marathon may answer (MARATHON_MAX_RESPONSE_SIZE)`);
        // What did not change keeps the object read before, which is how everything downstream skips it.
        const apps = decoded.value.apps.map((app) => {
          const was = this.#byId.get(app.id);
          if (was !== undefined && Bun.deepEquals(was, app, true)) return was;
          changed.add(app.id);
          return app;
        });
        for (const app of held?.apps ?? []) if (!apps.some((now) => now.id === app.id)) changed.add(app.id);
        buckets.set(bucket, { nodes, apps, bytes: decoded.value.bytes });
      }),
    );
    for (const [bucket, held] of this.#buckets) if (!buckets.has(bucket)) for (const app of held.apps) changed.add(app.id);
    if (session !== this.#session) return;
    // The whole version read: only now does it replace the one before.
    for (const [bucket, held] of buckets) {
      if (this.#buckets.get(bucket) === held) continue;
      for (const app of this.#buckets.get(bucket)?.apps ?? []) this.#byId.delete(app.id);
      for (const app of held.apps) this.#byId.set(app.id, app);
    }
    for (const [bucket, held] of this.#buckets) if (!buckets.has(bucket)) for (const app of held.apps) this.#byId.delete(app.id);
    this.#buckets = buckets;
    this.#list = null;
    const readAt = new Date();
    this.#followed = { manifest, readAt: readAt.toISOString(), changed: first ? null : [...changed] };
    this.#lastError = null;
    const lag = (readAt.getTime() - Date.parse(manifest.publishedAt)) / 1000;
    if (Number.isFinite(lag)) this.#lag.observe(Math.max(0, lag));
    this.#onChange(this.#followed);
  }

  /** A node a manifest names; gone means a newer version replaced it, and the manifest's watch brings that one. */
  async #readNode(session: ZkSession, node: string, version: number): Promise<Uint8Array> {
    const body = await session.getData(node).catch((error: unknown) => {
      if (error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE) throw new SupersededError(`${node}, named by version ${version}, is gone (a newer version replaced it?)`);
      throw error;
    });
    return body ?? new Uint8Array();
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
