import type { TrafficPoint } from "../http/ui/api-types.ts";

/** Cumulative counters of one backend or server, as HAProxy reports them. */
export interface Counters {
  readonly requests: number;
  readonly errors: number;
  /** HAProxy's mean response time of the last 1,024 requests; null when it gives none. */
  readonly responseMs: number | null;
}

/** What happened between two readings of the same counters. */
export interface Delta {
  readonly requests: number;
  readonly errors: number;
}

/**
 * The counts since `before`. A counter lower than before was reset (a reload starts a new
 * worker at zero), so everything it shows happened since; no reading before means the
 * counters are new (a backend a reload added), so the same holds.
 */
export function deltaOf(before: Counters | undefined, after: Counters): Delta {
  return { requests: countSince(before?.requests, after.requests), errors: countSince(before?.errors, after.errors) };
}

/** One counter's count since `was` (see {@link deltaOf}), for loops over 10,000 backends that allocate nothing. */
export function countSince(was: number | undefined, now: number): number {
  return was === undefined || now < was ? now : now - was;
}

/** A delta as rates over `seconds`; the response time only when something was answered. */
export function pointOf(delta: Delta, responseMs: number | null, seconds: number): TrafficPoint {
  const rate = (count: number) => (seconds > 0 ? count / seconds : 0);
  return [rate(delta.requests), rate(delta.errors), delta.requests > 0 ? responseMs : null];
}

/** Points of several backends or apps as one: rates add, response times weigh by requests. */
export function sumPoints(points: Iterable<TrafficPoint>): TrafficPoint {
  let requests = 0;
  let errors = 0;
  let weighted = 0;
  let weight = 0;
  for (const [rps, eps, ms] of points) {
    requests += rps;
    errors += eps;
    if (ms !== null && rps > 0) {
      weighted += ms * rps;
      weight += rps;
    }
  }
  return [requests, errors, weight > 0 ? weighted / weight : null];
}
