/**
 * Keeps one ZooKeeper session alive for every store of an appliance: the services and the
 * certificates go through the same session, so an instance holds one session (and one
 * connection) however many nodes it follows. This module owns the session's life: opening
 * it, noticing a peer that stopped answering, and opening a new one (with backoff) after
 * expiry or failure. What is read over the session is each store's business (zk-replica.ts).
 * @module
 */

import { backoffDelay } from "../system/backoff.ts";
import { ZkOpError, ZkSession } from "./zk-session.ts";
import type { StoreLog } from "./types.ts";

export interface ZkKeeperOptions {
  /** `host:port` entries; the last may end in `/chroot`. */
  readonly hosts: readonly string[];
  /** `user:password` for digest auth, or "": one identity per session, so one for every store on it. */
  readonly auth: string;
  readonly sessionTimeoutMs?: number;
  /** Longest wait for one answer before the server is treated as dead; default 2/3 of the session timeout. */
  readonly opTimeoutMs?: number;
  readonly log?: StoreLog;
}

/** One store's view of the session; the keeper calls these, never concurrently with each other. */
export interface SessionUser {
  /** A node of the user's, asked about on a timer to notice a silent peer. */
  readonly probePath: string;
  /** A new session is being opened: it carries none of the old one's watches. */
  opened(): void;
  /** The session is (again) usable; called at once on attach when it already is. */
  connected(session: ZkSession): void;
  /** The connection dropped; the library is reconnecting the same session. */
  disconnected(session: ZkSession): void;
  /** The session is gone for good; a new one follows after a backoff. */
  lost(reason: string): void;
}

const MAX_RESTART_DELAY_MS = 10_000;

/**
 * The shared session. It opens when the first user attaches and ends when the last one
 * detaches, so each store's start() and close() keep meaning what they say.
 */
export class ZkKeeper {
  readonly hosts: readonly string[];
  readonly auth: string;
  readonly sessionTimeoutMs: number;
  readonly opTimeoutMs: number;
  readonly #log?: StoreLog;
  readonly #users = new Set<SessionUser>();
  #session: ZkSession | null = null;
  #failures = 0;
  #disconnectedSince: number | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: ZkKeeperOptions) {
    this.hosts = options.hosts;
    this.auth = options.auth;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.opTimeoutMs = options.opTimeoutMs ?? Math.round((this.sessionTimeoutMs * 2) / 3);
    this.#log = options.log;
  }

  /** `host:port,host:port[/chroot]`, as messages name it. */
  get connectionString(): string {
    return this.hosts.join(",");
  }

  /** The session, only while it is connected: reads and writes go through nothing else. */
  get live(): ZkSession | null {
    return this.#session?.connected ? this.#session : null;
  }

  /** The session id (`0x…`) for diagnostics, or null while there is none. */
  get sessionId(): string | null {
    return this.#session?.id ?? null;
  }

  /** Starts serving `user`, opening the session if it is the first. Returns the detach function. */
  attach(user: SessionUser): () => void {
    this.#users.add(user);
    if (this.#users.size === 1) {
      this.#openSession();
      this.#heartbeat = setInterval(() => this.#checkPeer(), Math.max(250, Math.round(this.opTimeoutMs / 2)));
    } else {
      user.opened();
      const live = this.live;
      if (live) user.connected(live);
    }
    return () => this.#detach(user);
  }

  /** Whether `session` is still the one the keeper holds (connected or not). */
  isCurrent(session: ZkSession): boolean {
    return session === this.#session;
  }

  /**
   * A full read went through on `session`: it works, so the next failure starts backing
   * off from the beginning again.
   */
  confirm(session: ZkSession): void {
    if (session === this.#session) this.#failures = 0;
  }

  /** Drops `session` (if it is still the current one) and opens a new one, backing off when failures repeat. */
  restart(reason: string, session: ZkSession): void {
    if (session === this.#session) this.#restart(reason);
  }

  #detach(user: SessionUser): void {
    if (!this.#users.delete(user) || this.#users.size > 0) return;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#heartbeat = null;
    this.#restartTimer = null;
    this.#session?.dispose();
    this.#session = null;
    this.#failures = 0;
  }

  #openSession(): void {
    if (this.#users.size === 0) return;
    const session: ZkSession = new ZkSession(
      { connectionString: this.connectionString, sessionTimeoutMs: this.sessionTimeoutMs, opTimeoutMs: this.opTimeoutMs, auth: this.auth },
      {
        connected: () => {
          this.#disconnectedSince = null;
          this.#log?.info("connected to ZooKeeper", { hosts: this.connectionString, session: session.id });
          for (const user of [...this.#users]) user.connected(session);
        },
        disconnected: () => {
          this.#disconnectedSince = Date.now();
          for (const user of [...this.#users]) user.disconnected(session);
        },
        lost: (reason) => this.restart(reason, session),
      },
    );
    this.#session = session;
    this.#disconnectedSince = Date.now();
    for (const user of [...this.#users]) user.opened();
    session.connect();
  }

  #restart(reason: string): void {
    if (this.#users.size === 0) return;
    this.#log?.warn("opening a new ZooKeeper session", { reason });
    this.#session?.dispose();
    this.#session = null;
    for (const user of [...this.#users]) user.lost(reason);
    const delay = backoffDelay(this.#failures, { initialMs: 500, maxMs: MAX_RESTART_DELAY_MS });
    this.#failures += 1;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => this.#openSession(), delay);
  }

  /**
   * The client notices a dead peer only through TCP timeouts, and waits forever
   * for a handshake a silent server never answers: ask something cheap on a
   * timer, and start over when no connection came up within a session timeout.
   */
  #checkPeer(): void {
    const session = this.#session;
    const probe = this.#users.values().next().value;
    if (!session || !probe) return;
    if (!session.connected) {
      const since = this.#disconnectedSince;
      if (since !== null && Date.now() - since > this.sessionTimeoutMs) {
        this.#restart(`no connection to ZooKeeper (${this.connectionString}) for ${Date.now() - since} ms`);
      }
      return;
    }
    session.exists(probe.probePath).catch((error: unknown) => {
      if (error instanceof ZkOpError && error.code === "TIMEOUT") this.restart(`ZooKeeper stopped answering: ${error.message}`, session);
    });
  }
}
