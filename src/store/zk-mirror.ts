/**
 * Keeps a local copy of the children of one ZooKeeper base path (the services, or the
 * certificates) in step with the server: a full read that arms every watch, then
 * incremental reads driven by one-shot watches that are re-armed by the read they trigger.
 * ZooKeeper answers one session's requests and notifications in order, so applying each
 * answer as it arrives keeps the copy consistent. What a child's body means is the
 * store's {@link NodeReader}.
 * @module
 */

import type { Event } from "node-zookeeper-client";
import { ZK_CODES, ZkOpError, type ZkSession } from "./zk-session.ts";

/** What the mirror needs from its owner. */
export interface MirrorHost {
  /** The session reads go through, or null while there is none. */
  session(): ZkSession | null;
  /** Called after the copy changed (it may not have changed in content). */
  changed(): void;
  /** An incremental read failed, so a watch may be lost: re-read everything. */
  needFullRead(reason: string): void;
}

/** How a store reads its children. */
export interface NodeReader<T> {
  /** Bamboo's peers touch the base node after changing a child: watch its data too. */
  readonly watchBase: boolean;
  /** Why a child with this name is left alone (not even read), or null to read it. */
  unusableName(name: string): string | null;
  decode(name: string, body: Buffer | null): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };
  /** Says in the log that a child is skipped; called once per distinct reason. */
  skipped(name: string, reason: string): void;
}

/** Child node name → its decoded value (null: present but unreadable, skipped). */
export class ZkMirror<T> {
  readonly #nodes = new Map<string, T | null>();
  readonly #warned = new Map<string, string>();
  // Children with an armed data watch; a local write adds a node without one.
  readonly #watched = new Set<string>();

  constructor(
    private readonly basePath: string,
    private readonly host: MirrorHost,
    private readonly reader: NodeReader<T>,
  ) {}

  /** The readable values, in no particular order. */
  values(): T[] {
    return [...this.#nodes.values()].filter((value): value is T => value !== null);
  }

  /** Records a write this instance made, without waiting for its watch to fire. */
  applyLocal(name: string, value: T | null): void {
    if (value !== null) this.#nodes.set(name, value);
    else this.#forget(name);
  }

  /** Reads the base node (when watched), its children and every child, arming all watches. Throws on failure. */
  async fullRead(session: ZkSession): Promise<void> {
    if (this.reader.watchBase) await session.getData(this.basePath, this.#onBaseData);
    await this.#readChildren(session, true);
  }

  async #readChildren(session: ZkSession, all: boolean): Promise<void> {
    const names = await session.getChildren(this.basePath, this.#onChildren);
    const present = new Set(names);
    for (const name of [...this.#nodes.keys()]) if (!present.has(name)) this.#forget(name);
    const toRead = names.filter((name) => (all || !this.#watched.has(name)) && this.#usableName(name));
    await Promise.all(toRead.map((name) => this.#readChild(session, name)));
  }

  async #readChild(session: ZkSession, name: string): Promise<void> {
    let body: Buffer | null;
    try {
      body = await session.getData(`${this.basePath}/${name}`, this.#onChildData);
    } catch (error) {
      if (error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE) {
        this.#forget(name);
        return;
      }
      throw error;
    }
    this.#watched.add(name);
    const decoded = this.reader.decode(name, body);
    if (decoded.ok) {
      this.#nodes.set(name, decoded.value);
      this.#warned.delete(name);
    } else {
      this.#nodes.set(name, null);
      this.#warnOnce(name, decoded.reason);
    }
  }

  #usableName(name: string): boolean {
    const problem = this.reader.unusableName(name);
    if (problem !== null) this.#warnOnce(name, problem);
    return problem === null;
  }

  // Warn once per distinct problem: a bad node is seen again on every full read.
  #warnOnce(name: string, reason: string): void {
    if (this.#warned.get(name) === reason) return;
    this.#warned.set(name, reason);
    this.reader.skipped(name, reason);
  }

  // Bamboo writes the base node after updating a child so that its peers
  // notice; re-listing the children catches anything a lost watch missed.
  readonly #onBaseData = (): void => {
    this.#incremental("base node changed", async (session) => {
      await session.getData(this.basePath, this.#onBaseData);
      await this.#readChildren(session, false);
    });
  };

  readonly #onChildren = (): void => {
    this.#incremental("children changed", (session) => this.#readChildren(session, false));
  };

  readonly #onChildData = (event: Event): void => {
    const name = event.getPath().slice(this.basePath.length + 1);
    this.#watched.delete(name);
    if (event.getName() === "NODE_DELETED") {
      this.#forget(name);
      this.host.changed();
      return;
    }
    this.#incremental(`node ${name} changed`, (session) => this.#readChild(session, name));
  };

  #forget(name: string): void {
    this.#nodes.delete(name);
    this.#watched.delete(name);
    this.#warned.delete(name);
  }

  /** A new session carries no watches: everything must be re-armed by a full read. */
  resetWatches(): void {
    this.#watched.clear();
  }

  #incremental(what: string, read: (session: ZkSession) => Promise<void>): void {
    const session = this.host.session();
    if (!session) return;
    read(session).then(
      () => this.host.changed(),
      (error: unknown) => this.host.needFullRead(`${what}, but re-reading failed: ${(error as Error).message}`),
    );
  }
}
