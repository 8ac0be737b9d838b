/**
 * One ZooKeeper session: a node-zookeeper-client instance behind promises with
 * deadlines. The library has no read timeout, can throw from its socket
 * handlers, and reconnects forever; this module is the only place that knows
 * that, so the store above it sees typed errors and plain state events and the
 * process never dies because of ZooKeeper.
 * @module
 */

import { createHash } from "node:crypto";
import zookeeper, { type ACL, type Client, type Event, type State } from "node-zookeeper-client";

/** What a session reports; every callback is already guarded against throwing. */
export interface SessionEvents {
  connected(): void;
  disconnected(): void;
  /** The session is gone for good (expired, auth refused, or the library broke): open a new one. */
  lost(reason: string): void;
}

export interface SessionOptions {
  /** `host:port,host:port[/chroot]`. */
  readonly connectionString: string;
  readonly sessionTimeoutMs: number;
  /** Longest wait for any single answer before the peer is treated as dead. */
  readonly opTimeoutMs: number;
  /** `user:password` for digest auth, or "". */
  readonly auth: string;
}

/** An operation that failed; `code` is ZooKeeper's (e.g. -101 no node) or "TIMEOUT"/"CLOSED". */
export class ZkOpError extends Error {
  constructor(
    readonly code: number | "TIMEOUT" | "CLOSED",
    message: string,
  ) {
    super(message);
    this.name = "ZkOpError";
  }
}

/** ZooKeeper's error codes the store reacts to. */
export const ZK_CODES = {
  NO_NODE: zookeeper.Exception.NO_NODE,
  NODE_EXISTS: zookeeper.Exception.NODE_EXISTS,
  NO_AUTH: zookeeper.Exception.NO_AUTH,
  CONNECTION_LOSS: zookeeper.Exception.CONNECTION_LOSS,
  SESSION_EXPIRED: zookeeper.Exception.SESSION_EXPIRED,
} as const;

// Socket-level handlers of the library's connection manager; an exception in
// any of them would otherwise escape to the event loop and end the process.
const GUARDED_METHODS = [
  "onSocketData",
  "onSocketConnected",
  "onSocketClosed",
  "onSocketError",
  "onSocketTimeout",
  "onSocketConnectTimeout",
  "onSocketDrain",
  "onPacketQueueReadable",
] as const;

/** A live session; dispose it and open a new one after {@link SessionEvents.lost}. */
export class ZkSession {
  readonly #client: Client;
  readonly #events: SessionEvents;  // Library-facing wrappers per watcher, so re-arming passes the same function.
  readonly #watchers = new WeakMap<(event: Event) => void, (event: Event) => void>();
  #connected = false;
  #everConnected = false;
  #disposed = false;

  constructor(
    private readonly options: SessionOptions,
    events: SessionEvents,
  ) {
    this.#events = events;
    this.#client = zookeeper.createClient(options.connectionString, {
      sessionTimeout: options.sessionTimeoutMs,
      spinDelay: 500,
      retries: 0,
    });
    this.#guardLibrary();
    this.#client.on("state", (state: State) => this.#guard(() => this.#onState(state)));
    if (options.auth !== "") this.#client.addAuthInfo("digest", Buffer.from(options.auth));
  }

  /** Starts connecting (and reconnecting, until disposed); progress arrives as events. */
  connect(): void {
    this.#guard(() => this.#client.connect());
  }

  get connected(): boolean {
    return this.#connected && !this.#disposed;
  }

  /** The session id as ZooKeeper prints it (hex), or null before the first connect. */
  get id(): string | null {
    const hex = this.#client.getSessionId().toString("hex");
    return /^0+$/.test(hex) ? null : `0x${hex.replace(/^0+/, "")}`;
  }

  getChildren(path: string, watcher?: (event: Event) => void): Promise<string[]> {
    return this.#op(`list ${path}`, (done) => this.#client.getChildren(path, this.#wrapWatcher(watcher), done));
  }

  async getData(path: string, watcher?: (event: Event) => void): Promise<Buffer | null> {
    const data = await this.#op<Buffer | undefined>(`read ${path}`, (done) =>
      this.#client.getData(path, this.#wrapWatcher(watcher), (error, body) => done(error, body)),
    );
    return data ?? null;
  }

  exists(path: string): Promise<boolean> {
    return this.#op(`check ${path}`, (done) => this.#client.exists(path, undefined, (e, stat) => done(e, stat !== null && stat !== undefined)));
  }

  setData(path: string, data: Buffer): Promise<void> {
    return this.#op(`write ${path}`, (done) => this.#client.setData(path, data, -1, (e) => done(e, undefined)));
  }

  create(path: string, data: Buffer, acl: ACL[]): Promise<void> {
    return this.#op(`create ${path}`, (done) =>
      this.#client.create(path, data, acl, zookeeper.CreateMode.PERSISTENT, (e) => done(e, undefined)),
    );
  }

  /**
   * Creates nodes and sets data in one request, all or nothing: one round trip and one
   * write to ZooKeeper's log. The request must stay under `jute.maxbuffer` (1 MB) whole.
   */
  multi(what: string, ops: readonly ({ readonly create: string; readonly data: Buffer; readonly acl: ACL[] } | { readonly set: string; readonly data: Buffer })[]): Promise<void> {
    return this.#op(what, (done) => {
      const transaction = this.#client.transaction();
      for (const op of ops) {
        if ("create" in op) transaction.create(op.create, op.data, op.acl, zookeeper.CreateMode.PERSISTENT);
        else transaction.setData(op.set, op.data, -1);
      }
      transaction.commit((error) => done(error, undefined));
    });
  }

  /**
   * Creates `<prefix><sequence>`, ephemeral (gone with this session): the node a leader
   * election enters with (cluster/leader-election.ts). Resolves with the created path.
   */
  createEphemeralSequential(prefix: string, data: Buffer, acl: ACL[]): Promise<string> {
    return this.#op(`create ${prefix}…`, (done) => this.#client.create(prefix, data, acl, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, done));
  }

  /** Whether `path` exists, with a watch that fires when it is created, changed or deleted. */
  watchExists(path: string, watcher: (event: Event) => void): Promise<boolean> {
    return this.#op(`watch ${path}`, (done) => this.#client.exists(path, this.#wrapWatcher(watcher), (e, stat) => done(e, stat !== null && stat !== undefined)));
  }

  remove(path: string): Promise<void> {
    return this.#op(`delete ${path}`, (done) => this.#client.remove(path, -1, (e) => done(e, undefined)));
  }

  /** Ends the session politely when possible and stops every reconnect attempt. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#connected = false;
    this.#client.removeAllListeners();
    this.#guard(() => this.#client.close());
    // close() only queues a goodbye; a dead socket would keep it forever.
    const socket = this.#client.connectionManager.socket as { destroy(): void } | undefined;
    const timer = setTimeout(() => this.#guard(() => socket?.destroy()), this.#everConnected ? 500 : 0);
    timer.unref?.();
  }

  /** Digest identity ZooKeeper derives for `user:password`: base64(sha1(user:password)). */
  static digestId(auth: string): string {
    const user = auth.slice(0, auth.indexOf(":"));
    return `${user}:${createHash("sha1").update(auth).digest("base64")}`;
  }

  #onState(state: State): void {
    if (this.#disposed) return;
    const name = state.getName();
    if (name === "SYNC_CONNECTED") {
      this.#connected = true;
      this.#everConnected = true;
      this.#events.connected();
    } else if (name === "DISCONNECTED") {
      this.#connected = false;
      this.#events.disconnected();
    } else if (name === "EXPIRED") {
      this.#connected = false;
      this.#events.lost("session expired");
    } else if (name === "AUTH_FAILED") {
      this.#connected = false;
      this.#events.lost("ZooKeeper refused the digest credentials (BAMBOO_ZK_AUTH)");
    }
  }

  #op<T>(what: string, start: (done: (error: { code?: number; message?: string } | null, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#disposed) {
        reject(new ZkOpError("CLOSED", `${what}: session closed`));
        return;
      }
      const timer = setTimeout(() => {
        reject(new ZkOpError("TIMEOUT", `${what}: no answer from ZooKeeper within ${this.options.opTimeoutMs} ms`));
      }, this.options.opTimeoutMs);
      const done = (error: { code?: number; message?: string } | null, value: T) => {
        clearTimeout(timer);
        if (error) reject(new ZkOpError(error.code ?? -1, `${what}: ${error.message ?? String(error)}`));
        else resolve(value);
      };
      try {
        start(done);
      } catch (error) {
        clearTimeout(timer);
        reject(new ZkOpError(-1, `${what}: ${(error as Error).message}`));
      }
    });
  }

  #wrapWatcher(watcher?: (event: Event) => void): ((event: Event) => void) | undefined {
    if (!watcher) return undefined;
    // The same function must come back for the same watcher: the library
    // de-duplicates watchers by identity, and re-arming must not stack them.
    let wrapped = this.#watchers.get(watcher);
    if (!wrapped) {
      wrapped = (event: Event) => this.#guard(() => {
        if (!this.#disposed) watcher(event);
      });
      this.#watchers.set(watcher, wrapped);
    }
    return wrapped;
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#disposed) return;
    this.#connected = false;
    try {
      this.#events.lost(`ZooKeeper client failed: ${(error as Error)?.message ?? String(error)}`);
    } catch {
      // The store's handler is guarded itself; nothing sensible is left to do here.
    }
  }

  #guardLibrary(): void {
    const manager = this.#client.connectionManager;
    for (const name of GUARDED_METHODS) {
      const original = manager[name];
      if (typeof original !== "function") continue;
      manager[name] = (...args: unknown[]) => {
        try {
          return (original as (...a: unknown[]) => unknown).apply(manager, args);
        } catch (error) {
          this.#fail(error);
          return undefined;
        }
      };
    }
    // A reconnect scheduled before dispose() must not open a new socket after it.
    const findNextServer = manager.findNextServer as (cb: (server: unknown) => void) => void;
    manager.findNextServer = (callback: (server: unknown) => void) =>
      findNextServer.call(manager, (server: unknown) => {
        if (!this.#disposed) callback(server);
      });
  }
}
