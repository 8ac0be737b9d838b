/** Doubling delays between `initialMs` and `maxMs`. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The pause before retry number `attempt` after consecutive failures: none before the
 * first failure (0), then `initialMs`, doubling up to `maxMs`. Pure.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  return attempt <= 0 ? 0 : Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 30));
}

/** `ms` scaled by a random 50-100 %: many instances retrying after one outage spread out. */
export function jittered(ms: number, random: () => number): number {
  return ms * (0.5 + random() / 2);
}
