/**
 * Event→routable latency: the time from a task starting in the simulator until a request
 * through HAProxy reaches that task.
 *
 * The simulator's task servers are Bun servers in this process, so the first request a task
 * receives is observed where it lands: the task's handler is swapped (Server.reload) for one
 * that answers exactly as the simulator's does (task id; health path 200/500) and notes the
 * first non-health request. A prober keeps sending requests for the app through HAProxy so
 * the measurement does not wait for background load to happen to pick the new server.
 */
import type { SimTask } from "../../test/support/marathon-sim.ts";

export interface HitWatch {
  /** performance.now() of the first request that reached the task, null while none has. */
  firstHitAt(): number | null;
}

/** Replaces the task's handler; `healthPaths` are the app's health check paths (not counted as hits). */
export function watchFirstHit(task: SimTask, healthPaths: readonly string[]): HitWatch {
  let first: number | null = null;
  const health = new Set(healthPaths);
  task.server.reload({
    fetch(request: Request) {
      const path = new URL(request.url, "http://task.invalid").pathname;
      if (health.has(path)) return new Response(task.healthy ? "healthy" : "unhealthy", { status: task.healthy ? 200 : 500 });
      first ??= performance.now();
      return new Response(task.id, { headers: { "X-Task-Id": task.id } });
    },
  });
  return { firstHitAt: () => first };
}

/**
 * Sends requests to `url` (two at a time, keep-alive) until `watch` saw its first hit or
 * `timeoutMs` passed. Returns the hit time or null.
 */
export async function probeUntilHit(url: string, watch: HitWatch, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  const lane = async () => {
    while (watch.firstHitAt() === null && performance.now() < deadline) {
      // A refused or failed probe is not what is measured here; the next one follows at once
      // (with a short pause so a 503 answer does not turn into a busy loop).
      const ok = await fetch(url).then(async (r) => (await r.arrayBuffer(), r.status < 500), () => false);
      if (!ok) await Bun.sleep(2);
    }
  };
  await Promise.all([lane(), lane()]);
  return watch.firstHitAt();
}
