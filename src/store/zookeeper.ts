/**
 * Services kept in ZooKeeper the way Bamboo keeps them, so bamboo and Bamboo
 * instances can share one path. Reads are served from a local copy that
 * survives every ZooKeeper failure (and a restart, through a snapshot file);
 * writes go to ZooKeeper or fail fast with {@link StoreUnavailableError}.
 * @module
 */

import type { ACL } from "node-zookeeper-client";
import { backoffDelay } from "../system/backoff.ts";
import { ServicesFile } from "./services-file.ts";
import { ServiceSet } from "./service-set.ts";
import { encodeNodeBody, encodeNodeName } from "./znode-codec.ts";
import { chrootHint, ensureBasePath, serviceAcl } from "./zk-layout.ts";
import { ZkMirror } from "./zk-mirror.ts";
import { ZK_CODES, ZkOpError, ZkSession } from "./zk-session.ts";
import { StoreError, StoreUnavailableError, type Service, type Store, type StoreLog, type StoreStatus } from "./types.ts";

/** Where and how to reach ZooKeeper; the defaults suit production. */
export interface ZooKeeperStoreOptions {
  /** `host:port` entries; the last may end in `/chroot`. */
  readonly hosts: readonly string[];
  /** Base node holding one child per service, e.g. `/marathon-haproxy/state`. */
  readonly path: string;
  /** `user:password` for digest auth, or "". */
  readonly auth: string;
  /** Last services seen, served while ZooKeeper cannot be reached at boot. */
  readonly snapshotPath: string;
  readonly sessionTimeoutMs?: number;
  /** Longest wait for one answer before the server is treated as dead; default 2/3 of the session timeout. */
  readonly opTimeoutMs?: number;
  /** How long start() waits for a first full read before serving the snapshot. */
  readonly bootWaitMs?: number;
  readonly log?: StoreLog;
}

const MAX_RESTART_DELAY_MS = 10_000;

/** The ZooKeeper-backed {@link Store}. */
export class ZooKeeperStore implements Store {
  readonly #options: Required<Omit<ZooKeeperStoreOptions, "log">>;
  readonly #log?: StoreLog;
  readonly #services: ServiceSet;
  readonly #snapshot: ServicesFile;
  readonly #mirror: ZkMirror;
  readonly #acl: ACL[];
  #session: ZkSession | null = null;
  #synced = false;
  #closed = false;
  #lastSync: string | null = null;
  #lastError: string | null = null;
  #failures = 0;
  #readFailures = 0;
  #disconnectedSince: number | null = null;
  #fullReadRunning = false;
  #fullReadAgain = false;
  #firstSync: (() => void) | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;
  #snapshotWrite: Promise<void> = Promise.resolve();

  constructor(options: ZooKeeperStoreOptions) {
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.#options = {
      hosts: options.hosts,
      path: options.path.replace(/\/+$/, "") || "/",
      auth: options.auth,
      snapshotPath: options.snapshotPath,
      sessionTimeoutMs,
      opTimeoutMs: options.opTimeoutMs ?? Math.round((sessionTimeoutMs * 2) / 3),
      bootWaitMs: options.bootWaitMs ?? 5_000,
    };
    this.#log = options.log;
    this.#snapshot = new ServicesFile(options.snapshotPath);
    this.#services = new ServiceSet(options.log);
    this.#mirror = new ZkMirror(this.#options.path, {
      // Events during a full read are handled too: ignoring one would lose its watch.
      session: () => (this.#session?.connected ? this.#session : null),
      changed: () => this.#publish(),
      needFullRead: (reason) => this.#requestFullRead(reason),
    }, options.log);
    this.#acl = serviceAcl(options.auth);
  }

  /** Serves the snapshot, connects, and waits (at most bootWaitMs) for a first full read. */
  async start(): Promise<void> {
    try {
      const saved = await this.#snapshot.read();
      if (saved) this.#services.replaceAll(saved);
    } catch (error) {
      this.#log?.warn("ignoring the ZooKeeper snapshot file", { error: (error as Error).message });
    }
    const synced = new Promise<void>((resolve) => (this.#firstSync = resolve));
    this.#openSession();
    const checkEveryMs = Math.max(250, Math.round(this.#options.opTimeoutMs / 2));
    this.#heartbeat = setInterval(() => this.#checkPeer(), checkEveryMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.bootWaitMs)));
    await Promise.race([synced, waited]);
    clearTimeout(timer);
    if (!this.#synced) {
      this.#log?.warn("ZooKeeper not reachable yet; serving the last known services", {
        hosts: this.#connectionString(), services: this.#services.list().length, error: this.#lastError,
      });
    }
  }

  list(): readonly Service[] {
    return this.#services.list();
  }

  get(id: string): Service | undefined {
    return this.#services.get(id);
  }

  async put(service: Service): Promise<void> {
    const session = this.#writable(`save ${service.id}`);
    const name = encodeNodeName(service.id);
    const path = `${this.#options.path}/${name}`;
    const body = Buffer.from(encodeNodeBody(service));
    let existed = true;
    try {
      await session.setData(path, body).catch(async (error: unknown) => {
        if (!(error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE)) throw error;
        existed = false;
        await session.create(path, body, this.#acl);
      });
    } catch (error) {
      throw this.#writeError(`save ${service.id}`, path, error);
    }
    if (existed) {
      // Bamboo instances watch only the base node's data for updates.
      await session.setData(this.#options.path, Buffer.alloc(0)).catch((error: unknown) =>
        this.#log?.warn("could not touch the base node after an update", { error: (error as Error).message }),
      );
    }
    this.#mirror.applyLocal(name, service);
    this.#publish();
  }

  async delete(id: string): Promise<boolean> {
    const session = this.#writable(`delete ${id}`);
    const name = encodeNodeName(id);
    const path = `${this.#options.path}/${name}`;
    try {
      await session.remove(path);
    } catch (error) {
      if (error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE) return false;
      throw this.#writeError(`delete ${id}`, path, error);
    }
    this.#mirror.applyLocal(name, null);
    this.#publish();
    return true;
  }

  watch(listener: (services: readonly Service[]) => void): () => void {
    return this.#services.subscribe(listener);
  }

  status(): StoreStatus {
    return {
      kind: "zookeeper",
      connected: this.#synced && (this.#session?.connected ?? false),
      session: this.#session?.id ?? null,
      lastSync: this.#lastSync,
      lastError: this.#lastError,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#session?.dispose();
    this.#session = null;
    this.#synced = false;
    await this.#snapshotWrite;
  }

  #connectionString(): string {
    return this.#options.hosts.join(",");
  }

  #openSession(): void {
    if (this.#closed) return;
    const session: ZkSession = new ZkSession(
      {
        connectionString: this.#connectionString(),
        sessionTimeoutMs: this.#options.sessionTimeoutMs,
        opTimeoutMs: this.#options.opTimeoutMs,
        auth: this.#options.auth,
      },
      {
        connected: () => {
          this.#disconnectedSince = null;
          this.#log?.info("connected to ZooKeeper", { hosts: this.#connectionString(), session: session.id });
          this.#requestFullRead("connected");
        },
        disconnected: () => {
          this.#synced = false;
          this.#disconnectedSince = Date.now();
          this.#lastError = "disconnected from ZooKeeper; serving the last known services";
          this.#log?.warn("disconnected from ZooKeeper; serving the last known services", { session: session.id });
        },
        lost: (reason) => this.#restart(reason),
      },
    );
    this.#session = session;
    this.#disconnectedSince = Date.now();
    this.#mirror.resetWatches();
    session.connect();
  }

  /** Drops the session and opens a new one, backing off when failures repeat. */
  #restart(reason: string): void {
    if (this.#closed) return;
    this.#lastError = reason;
    this.#log?.warn("opening a new ZooKeeper session", { reason });
    this.#session?.dispose();
    this.#session = null;
    this.#synced = false;
    const delay = backoffDelay(this.#failures, { initialMs: 500, maxMs: MAX_RESTART_DELAY_MS });
    this.#failures += 1;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => this.#openSession(), delay);
  }

  /** Runs one full read at a time; a request during a read runs another one after it. */
  #requestFullRead(reason: string): void {
    if (this.#fullReadRunning) {
      this.#fullReadAgain = true;
      return;
    }
    const session = this.#session;
    if (!session?.connected || this.#closed) return;
    this.#fullReadRunning = true;
    this.#fullRead(session)
      .then(
        () => {
          if (session !== this.#session) return;
          this.#synced = true;
          this.#failures = 0;
          this.#readFailures = 0;
          this.#lastError = null;
          this.#lastSync = new Date().toISOString();
          this.#publish(true);
          this.#firstSync?.();
        },
        (error: unknown) => {
          this.#readFailures += 1;
          this.#lastError = `reading ${this.#options.path} failed (${reason}): ${(error as Error).message}${chrootHint(this.#options.hosts, error)}`;
          this.#log?.warn("full read from ZooKeeper failed", { error: this.#lastError });
          if (error instanceof ZkOpError && error.code === "TIMEOUT" && session === this.#session) {
            this.#restart(this.#lastError);
          } else if (session === this.#session && session.connected) {
            this.#fullReadAgain = true;
          }
        },
      )
      .finally(() => {
        this.#fullReadRunning = false;
        if (this.#fullReadAgain) {
          this.#fullReadAgain = false;
          // A failing read retries with backoff, not in a tight loop.
          const delay = backoffDelay(this.#readFailures, { initialMs: 500, maxMs: MAX_RESTART_DELAY_MS });
          setTimeout(() => this.#requestFullRead("retry"), delay);
        }
      });
  }

  async #fullRead(session: ZkSession): Promise<void> {
    await ensureBasePath(session, this.#options.path, this.#acl, this.#log);
    await this.#mirror.fullRead(session);
  }

  /**
   * The client notices a dead peer only through TCP timeouts, and waits forever
   * for a handshake a silent server never answers: ask something cheap on a
   * timer, and start over when no connection came up within a session timeout.
   */
  #checkPeer(): void {
    const session = this.#session;
    if (!session || this.#closed) return;
    if (!session.connected) {
      const since = this.#disconnectedSince;
      if (since !== null && Date.now() - since > this.#options.sessionTimeoutMs) {
        this.#restart(`no connection to ZooKeeper (${this.#connectionString()}) for ${Date.now() - since} ms`);
      }
      return;
    }
    session.exists(this.#options.path).catch((error: unknown) => {
      if (error instanceof ZkOpError && error.code === "TIMEOUT" && session === this.#session) {
        this.#restart(`ZooKeeper stopped answering: ${error.message}`);
      }
    });
  }

  /** Makes the mirror the served state; the snapshot follows every change and every full read. */
  #publish(afterFullRead = false): void {
    if (!this.#synced) return;
    this.#services.replaceAll(this.#mirror.services());
    const changed = this.#services.notify();
    if (changed || afterFullRead) this.#saveSnapshot(this.#services.list());
  }

  #saveSnapshot(services: readonly Service[]): void {
    this.#snapshotWrite = this.#snapshotWrite
      .then(() => this.#snapshot.write(services))
      .catch((error: unknown) => this.#log?.warn("could not save the ZooKeeper snapshot", { error: (error as Error).message }));
  }

  #writable(what: string): ZkSession {
    const session = this.#session;
    if (this.#closed || !session?.connected || !this.#synced) {
      throw new StoreUnavailableError(
        `cannot ${what}: ZooKeeper (${this.#connectionString()}) is not connected; nothing was changed, retry when it is back`,
      );
    }
    return session;
  }

  #writeError(what: string, path: string, error: unknown): Error {
    if (error instanceof ZkOpError && error.code === ZK_CODES.NO_AUTH) {
      return new StoreError(`cannot ${what}: ZooKeeper refused to change ${path} (not authorised; check BAMBOO_ZK_AUTH)`, { cause: error });
    }
    if (error instanceof ZkOpError && typeof error.code === "number" && error.code < -100) {
      return new StoreError(`cannot ${what}: ${error.message}`, { cause: error });
    }
    return new StoreUnavailableError(
      `cannot ${what}: ZooKeeper (${this.#connectionString()}) did not confirm the change (${(error as Error).message}); it may not have been saved`,
      { cause: error },
    );
  }
}
