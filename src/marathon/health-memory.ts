/**
 * Last known health per task. Right after a leader failover Marathon answers with no health
 * results at all; believing that answer would take every server of every checked app out of
 * HAProxy at once. Instead a task whose health is unknown keeps its last known verdict until
 * Marathon reports it again (marathon-lb learnt the same lesson).
 */
import type { App, Task } from "./types.ts";

export class TaskHealthMemory {
  /** taskId → { appId, alive } for every task of a checked app whose health Marathon last reported. */
  readonly #known = new Map<string, { readonly appId: string; readonly alive: boolean }>();

  /**
   * Applies memory to a full app list and forgets tasks that no longer exist. Tasks whose
   * health is unknown get their remembered `alive` (`healthKnown` stays false, so status
   * pages can still show that Marathon did not say).
   */
  applyAll(apps: readonly App[]): App[] {
    const seen = new Set<string>();
    const out = apps.map((app) => this.#apply(app, seen));
    for (const id of this.#known.keys()) if (!seen.has(id)) this.#known.delete(id);
    return out;
  }

  /** Same as {@link applyAll} for one app; null (the app is gone) forgets its tasks. */
  applyOne(appId: string, app: App | null): App | null {
    const seen = new Set<string>();
    const out = app === null ? null : this.#apply(app, seen);
    for (const [id, entry] of this.#known) if (entry.appId === appId && !seen.has(id)) this.#known.delete(id);
    return out;
  }

  /** Number of tasks remembered, for status and tests. */
  get size(): number {
    return this.#known.size;
  }

  #apply(app: App, seen: Set<string>): App {
    // Without health checks a task's health is always known: nothing to remember, and at
    // 10,000 such apps remembering cost an entry and an object per task (1.3 MB).
    if (app.healthChecks.length === 0) return app;
    let changed = false;
    const tasks = app.tasks.map((task): Task => {
      seen.add(task.id);
      if (task.healthKnown) {
        this.#known.set(task.id, { appId: app.id, alive: task.alive });
        return task;
      }
      const remembered = this.#known.get(task.id);
      if (remembered === undefined || remembered.alive === task.alive) return task;
      changed = true;
      return { ...task, alive: remembered.alive };
    });
    return changed ? { ...app, tasks } : app;
  }
}
