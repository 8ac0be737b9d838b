import type { Service } from "../store/types.ts";
import type { LoopReadings } from "./views.ts";

/** How a stored rule reached HAProxy, as the write's answer reports it (`X-Bamboo-Applied`). */
export type AppliedBy = "runtime" | "reload" | "pending";

/** A write waits this long for HAProxy to run it; after that it answers "pending" (it is stored). */
const WAIT_MS = 2_000;
const POLL_MS = 10;

/**
 * Waits until HAProxy runs the rules with `id` holding `acl` (or gone, when `acl` is null) and
 * says how: through the runtime API, or by a reload that happened meanwhile. Bounded: a write is
 * stored already, and its answer must not wait on a slow reload for long.
 */
export async function whenApplied(readings: () => LoopReadings, id: string, acl: string | null, waitMs = WAIT_MS): Promise<AppliedBy> {
  const reloadsBefore = readings().apply.reloads;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = readings();
    const running = now.applied.snapshot.services.find((service: Service) => service.id === id);
    if (now.pending === null && (acl === null ? running === undefined : running?.acl === acl)) return now.apply.reloads > reloadsBefore ? "reload" : "runtime";
    if (Date.now() >= deadline) return "pending";
    await Bun.sleep(POLL_MS);
  }
}
