import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { App, Task } from "../marathon/types.ts";

export type Lookup = (host: string) => Promise<string>;

export interface ResolvedApps {
  readonly apps: readonly App[];
  /** Tasks left out because their agent's name does not resolve. */
  readonly problems: readonly { readonly id: string; readonly message: string }[];
}

const TTL_MS = 60_000;

/**
 * Turns agents' host names into addresses before they reach the config. HAProxy resolves
 * names only when it parses the config, so one agent that left DNS would make the whole
 * config invalid and stop every app's updates; and the runtime API accepts only
 * addresses. A name that does not resolve costs only its own tasks.
 */
export class HostResolver {
  readonly #cache = new Map<string, { address: string | null; error: string; at: number }>();

  constructor(
    private readonly resolve: Lookup = async (host) => (await lookup(host)).address,
    private readonly now: () => number = Date.now,
  ) {}

  async resolveApps(apps: readonly App[]): Promise<ResolvedApps> {
    const names = new Set<string>();
    for (const app of apps) for (const task of app.tasks) if (task.host !== "" && isIP(task.host) === 0) names.add(task.host);
    await Promise.all([...names].map((name) => this.#lookup(name)));
    const problems: { id: string; message: string }[] = [];
    const resolved = apps.map((app) => {
      let changed = false;
      const tasks: Task[] = [];
      for (const task of app.tasks) {
        if (task.host === "" || isIP(task.host) !== 0) {
          tasks.push(task);
          continue;
        }
        changed = true;
        const entry = this.#cache.get(task.host)!;
        if (entry.address === null) problems.push({ id: app.id, message: `task ${task.id} left out: its host ${task.host} does not resolve (${entry.error})` });
        else tasks.push({ ...task, host: entry.address });
      }
      return changed ? { ...app, tasks } : app;
    });
    return { apps: resolved, problems };
  }

  async #lookup(name: string): Promise<void> {
    const cached = this.#cache.get(name);
    if (cached && this.now() - cached.at < TTL_MS) return;
    try {
      this.#cache.set(name, { address: await this.resolve(name), error: "", at: this.now() });
    } catch (error) {
      // Keep routing to the last address a name had while DNS is unwell.
      if (cached?.address) this.#cache.set(name, { ...cached, at: this.now() });
      else this.#cache.set(name, { address: null, error: error instanceof Error ? error.message : String(error), at: this.now() });
    }
  }
}
