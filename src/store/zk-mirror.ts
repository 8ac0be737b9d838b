/**
 * Keeps a local copy of the services under one ZooKeeper base path in step
 * with the server: a full read that arms every watch, then incremental reads
 * driven by one-shot watches that are re-armed by the read they trigger.
 * ZooKeeper answers one session's requests and notifications in order, so
 * applying each answer as it arrives keeps the copy consistent.
 * @module
 */

import type { Event } from "node-zookeeper-client";
import { decodeNode } from "./znode-codec.ts";
import { ZK_CODES, ZkOpError, type ZkSession } from "./zk-session.ts";
import type { Service, StoreLog } from "./types.ts";

/** What the mirror needs from its owner. */
export interface MirrorHost {
  /** The session reads go through, or null while there is none. */
  session(): ZkSession | null;
  /** Called after the copy changed (it may not have changed in content). */
  changed(): void;
  /** An incremental read failed, so a watch may be lost: re-read everything. */
  needFullRead(reason: string): void;
}

/** Child node name → its decoded service (null: present but unreadable, skipped). */
export class ZkMirror {
  readonly #nodes = new Map<string, Service | null>();
  readonly #warned = new Map<string, string>();
  // Children with an armed data watch; a local write adds a node without one.
  readonly #watched = new Set<string>();

  constructor(
    private readonly basePath: string,
    private readonly host: MirrorHost,
    private readonly log?: StoreLog,
  ) {}

  /** The readable services, in no particular order. */
  services(): Service[] {
    return [...this.#nodes.values()].filter((s): s is Service => s !== null);
  }

  /** Records a write this instance made, without waiting for its watch to fire. */
  applyLocal(name: string, service: Service | null): void {
    if (service) this.#nodes.set(name, service);
    else this.#forget(name);
  }

  /** Reads the base node, its children and every child, arming all watches. Throws on failure. */
  async fullRead(session: ZkSession): Promise<void> {
    await session.getData(this.basePath, this.#onBaseData);
    await this.#readChildren(session, true);
  }

  async #readChildren(session: ZkSession, all: boolean): Promise<void> {
    const names = await session.getChildren(this.basePath, this.#onChildren);
    const present = new Set(names);
    for (const name of [...this.#nodes.keys()]) if (!present.has(name)) this.#forget(name);
    const toRead = all ? names : names.filter((name) => !this.#watched.has(name));
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
    const decoded = decodeNode(name, body);
    if (decoded.ok) {
      this.#nodes.set(name, decoded.service);
      this.#warned.delete(name);
    } else {
      this.#nodes.set(name, null);
      // Warn once per distinct problem: a bad node is re-read on every full read.
      if (this.#warned.get(name) !== decoded.reason) {
        this.#warned.set(name, decoded.reason);
        this.log?.warn("skipping a ZooKeeper service node that cannot be read", { path: this.basePath, reason: decoded.reason });
      }
    }
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
