import { backoffDelay } from "../system/backoff.ts";
import type { Logger } from "../system/log.ts";
import { errorMessage } from "../system/error-message.ts";
import { writeFileAtomic } from "../system/atomic-file.ts";

/** A short content hash of a config given in pieces: the same text gives the same version, however it is split. */
export function contentVersion(pieces: readonly string[]): string {
  const hasher = new Bun.CryptoHasher("sha256");
  for (const piece of pieces) hasher.update(piece);
  return hasher.digest("hex").slice(0, 16);
}

/** How soon a failed background write is tried again, doubling up to the cap. */
const RETRY = { initialMs: 500, maxMs: 2_000 };

/**
 * Keeps a file HAProxy reads (its config, a map) at the latest text it was given (as pieces), writing in the background: a write asked
 * for while another is under way waits for it, and only the newest text is written then.
 * A failed write (a full or read-only disk) is logged once, reported by {@link error} and
 * retried on its own until it works, so the file catches up within seconds of the disk
 * recovering.
 */
export class LatestWriter {
  #pending: readonly string[] | null = null;
  #chain: Promise<void> = Promise.resolve();
  #error: string | null = null;
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly path: string,
    private readonly log: Pick<Logger, "error" | "info">,
  ) {}

  write(pieces: readonly string[]): void {
    const queued = this.#pending !== null;
    this.#pending = pieces;
    if (queued) return;
    this.#chain = this.#chain.then(async () => {
      const latest = this.#pending;
      if (latest === null) return;
      this.#pending = null;
      try {
        await writeFileAtomic(this.path, latest, { durable: false });
        if (this.#error !== null) this.log.info("a file HAProxy reads is written again", { path: this.path });
        this.#error = null;
        this.#failures = 0;
      } catch (error) {
        const message = errorMessage(error);
        if (this.#error === null) this.log.error("could not write a file HAProxy reads; retrying", { path: this.path, error: message });
        this.#error = message;
        this.#retryLater(latest);
      }
    });
  }

  /** Why the file is behind what it was asked to hold, or null when it is current. */
  error(): string | null {
    return this.#error;
  }

  /** Resolves once every write asked for so far is done (or has failed and awaits its retry). */
  settled(): Promise<void> {
    return this.#chain;
  }

  /**
   * Forgets a failed write and its retry: the file is about to be written directly with newer
   * text (a reload writes every file first), which a late retry would overwrite with older.
   */
  supersede(): void {
    this.close();
    this.#error = null;
    this.#failures = 0;
  }

  /** Stops retrying; for shutdown. */
  close(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #retryLater(pieces: readonly string[]): void {
    const delayMs = backoffDelay(++this.#failures, RETRY);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      // A newer text asked for meanwhile is written instead.
      if (this.#error !== null && this.#pending === null) this.write(pieces);
    }, delayMs);
  }
}
