import { isIP } from "node:net";
import type { App, Task } from "../marathon/types.ts";
import type { RoutingProblem } from "./problems.ts";
import { AppMemo } from "../marathon/app-memo.ts";

/** What DNS answered for an agent's host name: an address, or why there is none. */
export interface HostAnswer {
  readonly address: string | null;
  readonly error: string;
}

export interface AppsWithAddresses {
  readonly apps: readonly App[];
  /** Tasks left out because their agent's name does not resolve. */
  readonly problems: readonly RoutingProblem[];
}

export function isHostName(host: string): boolean {
  // Most agents are named by address: a quick IPv4 read spares node's isIP regex 10,000 times a compile.
  return host !== "" && !isDottedQuad(host) && isIP(host) === 0;
}

/** `a.b.c.d`, each 0-255 without a leading zero: what isIP calls IPv4. */
function isDottedQuad(text: string): boolean {
  let dots = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || ++dots > 3) return false;
      [value, digits] = [0, 0];
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (code - 48);
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
}

function onNamedHost(task: Task): boolean {
  return isHostName(task.host);
}

/** The agents' host names the apps' tasks run on: what DNS must be asked before compiling. */
export function agentHostNames(apps: readonly App[]): Set<string> {
  const names = new Set<string>();
  for (const app of apps) for (const task of app.tasks) if (isHostName(task.host)) names.add(task.host);
  return names;
}

/**
 * Turns agents' host names into the addresses DNS gave for them. HAProxy resolves names
 * only when it parses the config, so one agent that left DNS would make the whole config
 * invalid and stop every app's updates; and the runtime API accepts only addresses. A name
 * that does not resolve costs only its own tasks.
 */
export class AgentAddresses {
  readonly #resolved = new AppMemo<{ readonly app: App; readonly problems: readonly RoutingProblem[]; readonly key: string }>();
  #last: { readonly apps: readonly App[]; readonly answers: ReadonlyMap<string, HostAnswer>; readonly result: AppsWithAddresses } | null = null;

  apply(apps: readonly App[], answers: ReadonlyMap<string, HostAnswer>): AppsWithAddresses {
    // A rule write brings the same apps and answers: 10,000 apps need no second look.
    if (this.#last?.apps === apps && this.#last.answers === answers) return this.#last.result;
    const problems: RoutingProblem[] = [];
    const resolved = apps.map((app) => {
      // Agents named by address need no answer: the app as it is, with nothing allocated for it at every compile.
      if (!app.tasks.some(onNamedHost)) return app;
      const { app: result, problems: own } = this.#appWithAddresses(app, answers);
      problems.push(...own);
      return result;
    });
    this.#resolved.keepOnly(apps);
    this.#last = { apps, answers, result: { apps: resolved, problems } };
    return this.#last.result;
  }

  /**
   * The same object for the same app while its names keep their addresses: agents are
   * usually named, and a new object per app per event would make every app look changed
   * downstream (template-data.ts), costing a full render at 10,000 apps.
   */
  #appWithAddresses(app: App, answers: ReadonlyMap<string, HostAnswer>): { app: App; problems: readonly RoutingProblem[] } {
    const answerOf = (host: string) => answers.get(host) ?? { address: null, error: "DNS was not asked" };
    const key = app.tasks.map((task) => (isHostName(task.host) ? answerKey(answerOf(task.host)) : "")).join("\u0000");
    const known = this.#resolved.get(app);
    if (known?.key === key) return known;
    const problems: RoutingProblem[] = [];
    const tasks: Task[] = [];
    for (const task of app.tasks) {
      if (!isHostName(task.host)) {
        tasks.push(task);
        continue;
      }
      const answer = answerOf(task.host);
      if (answer.address === null) problems.push({ id: app.id, message: `task ${task.id} left out: its host ${task.host} does not resolve (${answer.error})` });
      else tasks.push({ ...task, host: answer.address });
    }
    const result = { app: { ...app, tasks }, problems, key };
    this.#resolved.set(app, result);
    return result;
  }
}

function answerKey(answer: HostAnswer): string {
  return answer.address ?? `!${answer.error}`;
}
