import { backoffDelay, type BackoffPolicy } from "../system/backoff.ts";

/**
 * How long to wait before restarting a crashed HAProxy master. A crash that is not part of
 * a loop is restarted at once: every millisecond of waiting is an outage. Only a loop
 * (several failures close together: a config on disk HAProxy refuses, a port taken) backs
 * off, and only a little, so the restart after the cause is fixed is never far away.
 */

export interface RestartPolicy extends BackoffPolicy {
  /** Failures (crashes and failed restarts) older than this no longer count. */
  readonly windowMs: number;
  /** This many failures within the window are restarted without a pause. */
  readonly immediate: number;
}

/** Failures are retried at once twice within 30 s, then after 100, 200, ... ms, at most 2 s (the pause after the first failure past `immediate`, doubling). */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { windowMs: 30_000, immediate: 2, initialMs: 100, maxMs: 2_000 };

/** Failure times still inside the window at `now`: what the supervisor needs to keep. */
export function recentFailures(failures: readonly number[], now: number, policy: RestartPolicy): number[] {
  return failures.filter((at) => now - at < policy.windowMs);
}

/** The pause before the next restart, given the failure times (the one just seen included). */
export function restartDelayMs(failures: readonly number[], now: number, policy: RestartPolicy): number {
  const beyond = recentFailures(failures, now, policy).length - policy.immediate;
  return backoffDelay(beyond, policy);
}
