/**
 * The churn workload of scripts/bench/churn.ts: Marathon-like task events on many apps, with
 * the invariant that every app keeps at least one healthy, running task (so any failed
 * request is the appliance's doing, not an app with nothing to serve).
 */
import type { MarathonSim, SimTask } from "../../test/support/marathon-sim.ts";
import { probeUntilHit, watchFirstHit } from "./first-hit.ts";

export interface ChurnOptions {
  readonly appIds: readonly string[];
  readonly events: number;
  /** Operations in flight at once (each on a different app). */
  readonly concurrency: number;
  /** Marathon's kill grace: TASK_KILLING, then the task stops this much later. */
  readonly killGraceMs: number;
  /** How long a health flip keeps the task unhealthy. */
  readonly unhealthyMs: number;
  readonly minTasks: number;
  /** Stays within the apps' server slots, so no scale-up needs a reload. */
  readonly maxTasks: number;
  readonly healthPath: string;
  /** HAProxy's frontend, for the routability probe. */
  readonly http: string;
  readonly probeTimeoutMs: number;
}

export interface ChurnResult {
  readonly events: number;
  readonly byKind: Readonly<Record<string, number>>;
  /** Event→routable, ms, one per new task. */
  readonly latencies: readonly number[];
  /** New tasks no request reached within the probe timeout. */
  readonly unroutable: number;
  readonly seconds: number;
}

type Kind = "scale up" | "scale down" | "kill and replace" | "health flip";

/** Chooses the next operation from weights, falling back where the app's size forbids it. */
function chooseKind(running: number, healthy: number, options: ChurnOptions): Kind {
  const r = Math.random();
  const wanted: Kind = r < 0.3 ? "scale up" : r < 0.55 ? "scale down" : r < 0.8 ? "kill and replace" : "health flip";
  if (wanted === "scale up") return running < options.maxTasks ? wanted : "scale down";
  // Every removal keeps one healthy task serving.
  if (healthy < 2) return "scale up";
  if (wanted === "scale down" && running <= options.minTasks) return "kill and replace";
  return wanted;
}

export async function runChurn(sim: MarathonSim, options: ChurnOptions): Promise<ChurnResult> {
  const busy = new Set<string>();
  const byKind: Record<string, number> = {};
  const latencies: number[] = [];
  let events = 0;
  let unroutable = 0;
  const count = (kind: string, n: number) => {
    events += n;
    byKind[kind] = (byKind[kind] ?? 0) + n;
  };
  const running = (appId: string) => sim.tasks(appId).filter((t) => t.state === "TASK_RUNNING");

  /** Scales to `instances` and measures how long until HAProxy sends a request to the new task. */
  const launchAndMeasure = async (appId: string, instances: number) => {
    const known = new Set(sim.tasks(appId).map((t) => t.id));
    // The clock starts before the simulator launches the task and reports TASK_RUNNING: an
    // upper bound by the launch time (a Bun.serve), never an under-estimate.
    const start = performance.now();
    const fresh = (await sim.scale(appId, instances)).find((t: SimTask) => !known.has(t.id));
    if (!fresh) return;
    const hit = await probeUntilHit(`${options.http}${appId}`, watchFirstHit(fresh, [options.healthPath]), options.probeTimeoutMs);
    if (hit === null) unroutable++;
    else latencies.push(hit - start);
  };

  const operate = async (appId: string) => {
    const tasks = running(appId);
    const healthy = tasks.filter((t) => t.healthy);
    const kind = chooseKind(tasks.length, healthy.length, options);
    if (kind === "scale up") {
      count(kind, 1);
      await launchAndMeasure(appId, tasks.length + 1);
    } else if (kind === "scale down") {
      // Marathon kills the youngest task first; with a grace period it is TASK_KILLING first.
      const youngest = tasks[tasks.length - 1]!;
      count(kind, 1);
      await sim.killTask(youngest.id, { graceMs: options.killGraceMs });
      await sim.scale(appId, tasks.length - 1);
    } else if (kind === "kill and replace") {
      const victim = healthy[Math.floor(Math.random() * healthy.length)]!;
      count(kind, 2);
      await sim.killTask(victim.id, { graceMs: options.killGraceMs });
      await launchAndMeasure(appId, tasks.length);
    } else {
      const victim = healthy[Math.floor(Math.random() * healthy.length)]!;
      count(kind, 2);
      sim.setHealth(victim.id, false);
      await Bun.sleep(options.unhealthyMs);
      sim.setHealth(victim.id, true);
    }
  };

  const started = performance.now();
  const worker = async () => {
    while (events < options.events) {
      const idle = options.appIds.filter((id) => !busy.has(id));
      const appId = idle[Math.floor(Math.random() * idle.length)];
      if (appId === undefined) return;
      busy.add(appId);
      try {
        await operate(appId);
      } finally {
        busy.delete(appId);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { events, byKind, latencies, unroutable, seconds: (performance.now() - started) / 1000 };
}
