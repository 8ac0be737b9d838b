import type { ACL } from "node-zookeeper-client";
import type { App } from "../marathon/types.ts";
import { errorMessage } from "../system/error-message.ts";
import { Histogram, type HistogramSnapshot } from "../system/histogram.ts";
import { SerialRetry } from "../system/serial-retry.ts";
import type { StoreLog } from "../store/types.ts";
import { ensureBasePath } from "../store/zk-layout.ts";
import type { ZkKeeper } from "../store/zk-keeper.ts";
import { ZK_CODES, ZkOpError, type ZkSession } from "../store/zk-session.ts";
import { APPS_FORMAT, boundedProblems, bucketOf, decodeManifest, encodeBucket, encodeManifest, partName, type LeaderMarathon, type Manifest } from "./published-apps.ts";

/**
 * The leader's side of the apps in ZooKeeper (published-apps.ts): after each change it
 * writes the buckets whose apps changed as new nodes, then the manifest naming them, then
 * removes the nodes no manifest of the last two names. One publication at a time; a newer
 * one asked for meanwhile replaces any still waiting, so a burst costs one write of the
 * latest apps, not one per event.
 *
 * @module
 */

/** What one publication says. */
export interface Publication {
  /** Every app, sorted by id; the same array object as last time when none changed. */
  readonly apps: readonly App[];
  readonly problems: readonly { readonly id: string; readonly message: string }[];
  readonly marathon: LeaderMarathon;
  readonly leader: string;
  readonly leaderSince: string;
}

export interface PublisherOptions {
  readonly keeper: ZkKeeper;
  /** The manifest's node; bucket nodes are its children. */
  readonly path: string;
  readonly acl: ACL[];
  readonly log?: StoreLog;
}

export interface PublisherStatus {
  /** The version last written, 0 before the first. */
  readonly version: number;
  readonly publishedAt: string | null;
  readonly lastError: string | null;
}

/** A bucket as last published: its apps (by identity) and its nodes. */
interface PublishedBucket {
  readonly apps: readonly App[];
  readonly nodes: readonly string[];
}

/** What this leader knows is in ZooKeeper. */
interface Published {
  readonly session: ZkSession;
  readonly version: number;
  readonly buckets: ReadonlyMap<number, PublishedBucket>;
  /** Nodes the manifest before names and the current one does not: removed at the next publication. */
  readonly retiring: ReadonlySet<string>;
  readonly of: Publication | null;
}

const MAX_RETRY_MS = 10_000;
/**
 * A publication smaller than this goes in one request; ZooKeeper refuses requests above
 * `jute.maxbuffer` (1 MB), paths and ACLs included. A larger one (the first, a resync after
 * many changes) writes its nodes first, then the manifest.
 */
const MAX_MULTI_BYTES = 512 * 1024;

export class AppsPublisher {
  readonly #options: PublisherOptions;
  readonly #latency = new Histogram();
  #published: Published | null = null;
  #waiting: Publication | null = null;
  readonly #writes = new SerialRetry(
    () => this.#writeWaiting(),
    (error) => {
      const lastError = `publishing the apps under ${this.#options.path}: ${errorMessage(error)}`;
      this.#status = { ...this.#status, lastError };
      this.#options.log?.warn("could not publish the apps; trying again", { error: lastError });
      return "later";
    },
    { initialMs: 250, maxMs: MAX_RETRY_MS },
  );
  #status: PublisherStatus = { version: 0, publishedAt: null, lastError: null };

  constructor(options: PublisherOptions) {
    this.#options = options;
  }

  /** Publishes `publication` soon; what nothing changed in (the same apps and words) is not written again. */
  publish(publication: Publication): void {
    this.#waiting = publication;
    this.#writes.request();
  }

  /** Stops publishing: leadership ended. What is in ZooKeeper stays for the next leader to start from. */
  stop(): void {
    this.#writes.cancel();
    this.#waiting = null;
    this.#published = null;
  }

  status(): PublisherStatus {
    return this.#status;
  }

  /** Writing one publication, from its first node to its manifest, in seconds. */
  latency(): HistogramSnapshot {
    return this.#latency.snapshot();
  }

  /** Writes the publication waiting, if any and if it says something new. */
  async #writeWaiting(): Promise<void> {
    const session = this.#options.keeper.live;
    const publication = this.#waiting;
    // Without a session it stays waiting: fanout.ts asks again, and a newer one replaces it.
    if (session === null || publication === null) return;
    this.#waiting = null;
    if (this.#published?.session === session && sameWords(this.#published.of, publication)) return;
    const started = performance.now();
    try {
      this.#published = await this.#write(session, publication);
    } catch (error) {
      // Written again from what ZooKeeper holds, not from what this leader thinks it wrote.
      this.#published = null;
      this.#waiting ??= publication;
      throw error;
    }
    this.#latency.observe((performance.now() - started) / 1000);
    this.#status = { version: this.#published.version, publishedAt: new Date().toISOString(), lastError: null };
  }

  async #write(session: ZkSession, publication: Publication): Promise<Published> {
    const { path, acl } = this.#options;
    const before = this.#published?.session === session ? this.#published : await this.#readExisting(session);
    const buckets = new Map<number, PublishedBucket>();
    const created: { readonly node: string; readonly data: Buffer }[] = [];
    for (const [bucket, apps] of byBucket(publication.apps)) {
      const was = before.buckets.get(bucket);
      if (was !== undefined && sameApps(was.apps, apps)) {
        buckets.set(bucket, { apps, nodes: was.nodes });
        continue;
      }
      const encoded = encodeBucket(apps);
      const nodes = encoded.parts.map((_, part) => partName(bucket, encoded.key, part));
      if (was === undefined || !sameList(was.nodes, nodes)) nodes.forEach((node, part) => created.push({ node, data: Buffer.from(encoded.parts[part]!) }));
      buckets.set(bucket, { apps, nodes });
    }
    const version = before.version + 1;
    const manifest: Manifest = {
      format: APPS_FORMAT,
      version,
      leader: publication.leader,
      leaderSince: publication.leaderSince,
      publishedAt: new Date().toISOString(),
      apps: publication.apps.length,
      buckets: Object.fromEntries([...buckets].sort(([a], [b]) => a - b).map(([bucket, { nodes }]) => [String(bucket), nodes])),
      problems: boundedProblems(publication.problems),
      marathon: publication.marathon,
    };
    const body = Buffer.from(encodeManifest(manifest));
    const bytes = body.length + created.reduce((sum, { data }) => sum + data.length, 0);
    // A task event's usual publication: its bucket and the manifest in one request, one write to ZooKeeper's log.
    const inOne =
      bytes <= MAX_MULTI_BYTES &&
      (await session.multi(`publish version ${version}`, [...created.map(({ node, data }) => ({ create: `${path}/${node}`, data, acl })), { set: path, data: body }]).then(
        () => true,
        (error: unknown) => {
          // A node of these very bytes is there already (named by content; an attempt that failed half-way wrote it): one by one, then.
          if (error instanceof ZkOpError && error.code === ZK_CODES.NODE_EXISTS) return false;
          throw error;
        },
      ));
    if (!inOne) {
      await Promise.all(created.map(({ node, data }) => session.create(`${path}/${node}`, data, acl).catch(ignoreExisting)));
      await session.setData(path, body);
    }
    const current = new Set([...buckets.values()].flatMap((bucket) => bucket.nodes));
    // Followers still reading the manifest before this one find its nodes for one more publication.
    await Promise.all([...before.retiring].filter((node) => !current.has(node)).map((node) => session.remove(`${path}/${node}`).catch(ignoreMissing)));
    const previous = [...before.buckets.values()].flatMap((bucket) => bucket.nodes).filter((node) => !current.has(node));
    return { session, version, buckets, retiring: new Set(previous), of: publication };
  }

  /**
   * What a leader new to this session finds: the last manifest (so versions keep rising and
   * unchanged buckets are not written again), and nodes no manifest names (left by a leader
   * that died mid-publication), which are removed with the first publication.
   */
  async #readExisting(session: ZkSession): Promise<Published> {
    const { path, acl, log } = this.#options;
    await ensureBasePath(session, path, acl, log);
    const body = await session.getData(path);
    const decoded = body === null || body.length === 0 ? null : decodeManifest(body);
    if (decoded !== null && !decoded.ok) log?.warn("the published apps' manifest does not read; publishing anew", { path, error: decoded.message });
    const manifest = decoded?.ok ? decoded.value : null;
    // Apps of the last manifest are not known here: every bucket is encoded once and compared by its nodes.
    const buckets = new Map(Object.entries(manifest?.buckets ?? {}).map(([bucket, nodes]) => [Number(bucket), { apps: [], nodes }] as const));
    const named = new Set([...buckets.values()].flatMap((bucket) => bucket.nodes));
    const stray = (await session.getChildren(path)).filter((node) => !named.has(node));
    return { session, version: manifest?.version ?? 0, buckets, retiring: new Set(stray), of: null };
  }
}

/** Apps by bucket, each bucket in the order given (by id). */
function byBucket(apps: readonly App[]): Map<number, App[]> {
  const buckets = new Map<number, App[]>();
  for (const app of apps) {
    const bucket = bucketOf(app.id);
    const list = buckets.get(bucket);
    if (list === undefined) buckets.set(bucket, [app]);
    else list.push(app);
  }
  return buckets;
}

function sameApps(a: readonly App[], b: readonly App[]): boolean {
  return a.length === b.length && a.every((app, i) => app === b[i]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Nothing new to say: the same apps (by identity), leader and words about Marathon and its entries. */
function sameWords(a: Publication | null, b: Publication): boolean {
  return (
    a !== null &&
    a.apps === b.apps &&
    a.leader === b.leader &&
    a.leaderSince === b.leaderSince &&
    Bun.deepEquals(a.marathon, b.marathon) &&
    Bun.deepEquals(a.problems, b.problems)
  );
}

function ignoreExisting(error: unknown): void {
  if (!(error instanceof ZkOpError && error.code === ZK_CODES.NODE_EXISTS)) throw error;
}

function ignoreMissing(error: unknown): void {
  if (!(error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE)) throw error;
}
