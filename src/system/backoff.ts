/** Doubling delays between `initialMs` and `maxMs`. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** The delay after `previousMs` (0: no failure yet): the first retry waits `initialMs`. Pure. */
export function nextBackoff(previousMs: number, policy: BackoffPolicy): number {
  return previousMs <= 0 ? policy.initialMs : Math.min(policy.maxMs, previousMs * 2);
}
