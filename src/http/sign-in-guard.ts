import { backoffDelay } from "../system/backoff.ts";

/**
 * Slows down guessing: after a few failed sign-ins from one client address, requests that
 * carry credentials from it are answered 429 for a while, doubling with each further
 * failure. A success does not clear them (a guesser could mix in requests to open
 * endpoints); they expire after `windowMs`. Memory is bounded: addresses are forgotten after their window, and at most
 * `maxAddresses` are tracked (the oldest go first).
 */
export interface SignInGuardOptions {
  /** Failures allowed before the pause starts. */
  readonly freeFailures: number;
  readonly firstPauseMs: number;
  readonly maxPauseMs: number;
  /** A failure older than this is forgotten. */
  readonly windowMs: number;
  readonly maxAddresses: number;
  readonly now?: () => number;
}

export const DEFAULT_SIGN_IN_GUARD: SignInGuardOptions = { freeFailures: 5, firstPauseMs: 1_000, maxPauseMs: 60_000, windowMs: 15 * 60_000, maxAddresses: 10_000 };

interface Failures {
  readonly count: number;
  readonly lastAt: number;
  readonly pausedUntil: number;
}

export class SignInGuard {
  readonly #byAddress = new Map<string, Failures>();
  readonly #now: () => number;

  constructor(private readonly options: SignInGuardOptions = DEFAULT_SIGN_IN_GUARD) {
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds `address` must still wait before its credentials are looked at; 0 when none. */
  pauseMs(address: string): number {
    const entry = this.#current(address);
    return entry === null ? 0 : Math.max(0, entry.pausedUntil - this.#now());
  }

  /** Records a failed sign-in; returns the pause it now has (0 while failures are still free). */
  failed(address: string): number {
    const now = this.#now();
    const count = (this.#current(address)?.count ?? 0) + 1;
    const beyond = count - this.options.freeFailures;
    const pause = backoffDelay(beyond, { initialMs: this.options.firstPauseMs, maxMs: this.options.maxPauseMs });
    this.#byAddress.delete(address);
    this.#byAddress.set(address, { count, lastAt: now, pausedUntil: now + pause });
    while (this.#byAddress.size > this.options.maxAddresses) this.#byAddress.delete(this.#byAddress.keys().next().value!);
    return pause;
  }

  #current(address: string): Failures | null {
    const entry = this.#byAddress.get(address);
    if (entry === undefined) return null;
    if (this.#now() - entry.lastAt > this.options.windowMs) {
      this.#byAddress.delete(address);
      return null;
    }
    return entry;
  }
}
