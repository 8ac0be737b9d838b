import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { App, Task } from "../marathon/types.ts";
import { errorMessage } from "../system/error-message.ts";

export type Lookup = (host: string) => Promise<string>;

export interface ResolvedApps {
  readonly apps: readonly App[];
  /** Tasks left out because their agent's name does not resolve. */
  readonly problems: readonly { readonly id: string; readonly message: string }[];
}

const TTL_MS = 60_000;

type Problem = ResolvedApps["problems"][number];

function isName(host: string): boolean {
  return host !== "" && isIP(host) === 0;
}

/**
 * Turns agents' host names into addresses before they reach the config. HAProxy resolves
 * names only when it parses the config, so one agent that left DNS would make the whole
 * config invalid and stop every app's updates; and the runtime API accepts only
 * addresses. A name that does not resolve costs only its own tasks.
 */
export class HostResolver {
  readonly #cache = new Map<string, { address: string | null; error: string; at: number }>();
  readonly #resolved = new WeakMap<App, { readonly app: App; readonly problems: readonly Problem[]; readonly key: string }>();

  constructor(
    private readonly resolve: Lookup = async (host) => (await lookup(host)).address,
    private readonly now: () => number = Date.now,
  ) {}

  async resolveApps(apps: readonly App[]): Promise<ResolvedApps> {
    const names = new Set<string>();
    for (const app of apps) for (const task of app.tasks) if (isName(task.host)) names.add(task.host);
    await Promise.all([...names].map((name) => this.#lookup(name)));
    const problems: Problem[] = [];
    const resolved = apps.map((app) => {
      const { app: result, problems: own } = this.#resolveApp(app);
      problems.push(...own);
      return result;
    });
    return { apps: resolved, problems };
  }

  /**
   * The same resolved object for the same app while its names keep their addresses: agents
   * are usually named, and a new object per app per event would make every app look changed
   * downstream (template-data.ts), costing a full render at 10,000 apps.
   */
  #resolveApp(app: App): { app: App; problems: readonly Problem[] } {
    if (!app.tasks.some((task) => isName(task.host))) return { app, problems: [] };
    const key = app.tasks.map((task) => (isName(task.host) ? this.#answerKey(task.host) : "")).join("\u0000");
    const known = this.#resolved.get(app);
    if (known?.key === key) return known;
    const problems: Problem[] = [];
    const tasks: Task[] = [];
    for (const task of app.tasks) {
      if (!isName(task.host)) {
        tasks.push(task);
        continue;
      }
      const entry = this.#cache.get(task.host)!;
      if (entry.address === null) problems.push({ id: app.id, message: `task ${task.id} left out: its host ${task.host} does not resolve (${entry.error})` });
      else tasks.push({ ...task, host: entry.address });
    }
    const result = { app: { ...app, tasks }, problems, key };
    this.#resolved.set(app, result);
    return result;
  }

  #answerKey(name: string): string {
    const entry = this.#cache.get(name)!;
    return entry.address ?? `!${entry.error}`;
  }

  async #lookup(name: string): Promise<void> {
    const cached = this.#cache.get(name);
    if (cached && this.now() - cached.at < TTL_MS) return;
    try {
      this.#cache.set(name, { address: await this.resolve(name), error: "", at: this.now() });
    } catch (error) {
      // Keep routing to the last address a name had while DNS is unwell.
      if (cached?.address) this.#cache.set(name, { ...cached, at: this.now() });
      else this.#cache.set(name, { address: null, error: errorMessage(error), at: this.now() });
    }
  }
}
