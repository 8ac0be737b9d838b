import type { LoopReadings } from "./views.ts";

/** How a stored rule reached HAProxy, as the write's answer reports it (`X-Bamboo-Applied`). */
export type AppliedBy = "runtime" | "reload" | "pending";

/** A write waits this long for HAProxy to run it; after that it answers "pending" (it is stored). */
const WAIT_MS = 2_000;

/** What the wait needs of the appliance: its readings, and a call after every apply. */
export interface AppliedSource {
  readings(): LoopReadings;
  onApplied(listener: () => void): () => void;
}

/**
 * Waits until what HAProxy runs satisfies `done` (a rule with its new text, a certificate
 * with its new fingerprint, either gone) and says how: through the runtime API, or by a
 * reload that happened meanwhile. Woken by each apply rather than polling, which cost a
 * write up to a poll period. Bounded: a write is stored already, and its answer must not
 * wait on a slow reload for long.
 */
export function whenApplied(source: AppliedSource, done: (applied: LoopReadings["applied"]) => boolean, waitMs = WAIT_MS): Promise<AppliedBy> {
  const reloadsBefore = source.readings().apply.reloads;
  const verdict = (): AppliedBy | null => {
    const now = source.readings();
    if (now.pending !== null || !done(now.applied)) return null;
    return now.apply.reloads > reloadsBefore ? "reload" : "runtime";
  };
  return new Promise((resolve) => {
    const finish = (by: AppliedBy) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(by);
    };
    const timer = setTimeout(() => finish(verdict() ?? "pending"), waitMs);
    const unsubscribe = source.onApplied(() => {
      const by = verdict();
      if (by !== null) finish(by);
    });
    // The apply may have happened before the wait began (a quick runtime change).
    const already = verdict();
    if (already !== null) finish(already);
  });
}

/** Whether HAProxy runs service `id` with `acl`, or without it when `acl` is null. */
export function runsService(id: string, acl: string | null): (applied: LoopReadings["applied"]) => boolean {
  return (applied) => {
    const running = applied.snapshot.services.find((service) => service.id === id);
    return acl === null ? running === undefined : running?.acl === acl;
  };
}
