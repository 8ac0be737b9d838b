/**
 * One store's base node kept in step over the shared session (zk-keeper.ts): a full read
 * after every (re)connect, one at a time and retried with backoff, and what follows from it
 * for serving and writing: whether the copy is current (`synced`), the last problem for
 * /api/status, and the fail-fast check before a write. The services and the certificates
 * each have one; what a full read reads is their mirror's business.
 * @module
 */

import type { ACL } from "node-zookeeper-client";
import { backoffDelay } from "../system/backoff.ts";
import { chrootHint, ensureBasePath } from "./zk-layout.ts";
import type { SessionUser, ZkKeeper } from "./zk-keeper.ts";
import { ZK_CODES, ZkOpError, type ZkSession } from "./zk-session.ts";
import { StoreError, StoreUnavailableError, type StoreLog } from "./types.ts";

/** What the replica needs from the store that owns it. */
export interface ReplicaOwner {
  /** Reads every child of the base node into the store's copy, arming all watches. Throws on failure. */
  fullRead(session: ZkSession): Promise<void>;
  /** A new session carries no watches: the copy must forget which ones it armed. */
  resetWatches(): void;
  /** A full read went through: serve what it read. */
  synced(): void;
  /** The connection dropped; the owner may say so in the log. */
  disconnected?(session: ZkSession): void;
}

export interface ZkReplicaOptions {
  readonly keeper: ZkKeeper;
  /** The base node, created (with `acl`) when missing. */
  readonly path: string;
  readonly acl: ACL[];
  /** What the store holds, for messages: "services" or "certificates". */
  readonly noun: string;
  /** The log line for a failed full read. */
  readonly readFailedMessage: string;
  /** What to do about a failed read, or ""; default: the chroot hint. */
  readonly readHint?: (error: unknown) => string;
  /** How long start() waits for a first full read. */
  readonly bootWaitMs?: number;
  readonly log?: StoreLog;
}

const MAX_RETRY_DELAY_MS = 10_000;

/** The session state of one store; see the module comment. */
export class ZkReplica {
  readonly #keeper: ZkKeeper;
  readonly #options: ZkReplicaOptions;
  readonly #owner: ReplicaOwner;
  readonly #user: SessionUser;
  // Set before attaching: the keeper calls connected() from attach() when the session is up.
  #attached = false;
  #detach: (() => void) | null = null;
  #synced = false;
  #lastSync: string | null = null;
  #lastError: string | null = null;
  #readFailures = 0;
  #fullReadRunning = false;
  #fullReadAgain = false;
  #firstSync: (() => void) | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: ZkReplicaOptions, owner: ReplicaOwner) {
    this.#keeper = options.keeper;
    this.#options = options;
    this.#owner = owner;
    this.#user = {
      probePath: options.path,
      opened: () => owner.resetWatches(),
      connected: () => this.requestFullRead("connected"),
      disconnected: (session) => {
        this.#synced = false;
        this.#lastError = `disconnected from ZooKeeper; serving the last known ${options.noun}`;
        owner.disconnected?.(session);
      },
      lost: (reason) => {
        this.#synced = false;
        this.#lastError = reason;
      },
    };
  }

  /** Joins the session and waits (at most bootWaitMs) for a first full read; resolves whether it came. */
  async start(): Promise<boolean> {
    const synced = new Promise<void>((resolve) => (this.#firstSync = resolve));
    if (!this.#attached) {
      this.#attached = true;
      this.#detach = this.#keeper.attach(this.#user);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.bootWaitMs ?? 5_000)));
    await Promise.race([synced, waited]);
    clearTimeout(timer);
    return this.#synced;
  }

  /** Whether the copy is what ZooKeeper holds now (as far as watches tell). */
  get synced(): boolean {
    return this.#synced;
  }

  get connected(): boolean {
    return this.#synced && this.#attached && this.#keeper.live !== null;
  }

  /** The session id while attached, for /api/status. */
  get sessionId(): string | null {
    return this.#attached ? this.#keeper.sessionId : null;
  }

  get lastSync(): string | null {
    return this.#lastSync;
  }

  get lastError(): string | null {
    return this.#lastError;
  }

  /** The connected session reads go through, or null. */
  session(): ZkSession | null {
    return this.#attached ? this.#keeper.live : null;
  }

  /** Runs one full read at a time; a request during a read runs another one after it. */
  requestFullRead(reason: string): void {
    if (this.#fullReadRunning) {
      this.#fullReadAgain = true;
      return;
    }
    const session = this.session();
    if (!session) return;
    const { path, acl, log } = this.#options;
    this.#fullReadRunning = true;
    ensureBasePath(session, path, acl, log)
      .then(() => this.#owner.fullRead(session))
      .then(
        () => {
          if (!this.#attached || !this.#keeper.isCurrent(session)) return;
          this.#synced = true;
          this.#readFailures = 0;
          this.#lastError = null;
          this.#lastSync = new Date().toISOString();
          this.#keeper.confirm(session);
          this.#owner.synced();
          this.#firstSync?.();
        },
        (error: unknown) => {
          this.#readFailures += 1;
          const hint = (this.#options.readHint ?? ((e: unknown) => chrootHint(this.#keeper.hosts, e)))(error);
          this.#lastError = `reading ${path} failed (${reason}): ${(error as Error).message}${hint}`;
          log?.warn(this.#options.readFailedMessage, { error: this.#lastError });
          if (error instanceof ZkOpError && error.code === "TIMEOUT") this.#keeper.restart(this.#lastError, session);
          else if (session === this.session()) this.#fullReadAgain = true;
        },
      )
      .finally(() => {
        this.#fullReadRunning = false;
        if (!this.#fullReadAgain || !this.#attached) return;
        this.#fullReadAgain = false;
        // A failing read retries with backoff, not in a tight loop.
        const delay = backoffDelay(this.#readFailures, { initialMs: 500, maxMs: MAX_RETRY_DELAY_MS });
        this.#retryTimer = setTimeout(() => this.requestFullRead("retry"), delay);
      });
  }

  /** The session a write goes through; throws StoreUnavailableError, changing nothing, when there is none. */
  writable(what: string): ZkSession {
    const session = this.session();
    if (!session || !this.#synced) {
      throw new StoreUnavailableError(
        `cannot ${what}: ZooKeeper (${this.#keeper.connectionString}) is not connected; nothing was changed, retry when it is back`,
      );
    }
    return session;
  }

  /** A failed write as the API reports it: refused for good (StoreError) or maybe not saved (StoreUnavailableError). */
  writeError(what: string, path: string, error: unknown): Error {
    if (error instanceof ZkOpError && error.code === ZK_CODES.NO_AUTH) {
      return new StoreError(`cannot ${what}: ZooKeeper refused to change ${path} (not authorised; check BAMBOO_ZK_AUTH)`, { cause: error });
    }
    if (error instanceof ZkOpError && typeof error.code === "number" && error.code < -100) {
      return new StoreError(`cannot ${what}: ${error.message}`, { cause: error });
    }
    return new StoreUnavailableError(
      `cannot ${what}: ZooKeeper (${this.#keeper.connectionString}) did not confirm the change (${(error as Error).message}); it may not have been saved`,
      { cause: error },
    );
  }

  /** Leaves the session (which ends when no store is left on it). */
  close(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#attached = false;
    this.#detach?.();
    this.#detach = null;
    this.#synced = false;
  }
}
