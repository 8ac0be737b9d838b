import type { App } from "../marathon/types.ts";
import { appHttpsSettingProblems } from "./https-settings.ts";
import { balanceOf, isPort } from "./service-ports.ts";
import { AppMemo } from "../marathon/app-memo.ts";

/** App env settings the default template turns into config, and the values each accepts. */
const PORT_SETTINGS = ["BAMBOO_TCP_PORT"] as const;

export interface CheckedApps {
  readonly apps: readonly App[];
  readonly problems: readonly { readonly id: string; readonly message: string }[];
}

/**
 * Drops app settings whose values would make the config invalid (a BAMBOO_TCP_PORT that is
 * not a port), reporting each: one app's typo must not stop every app's updates. Pure,
 * apart from remembering its answers.
 */
export class AppSettingsChecker {
  /**
   * Checked once per app object: a corrected copy made anew each time would look like a changed
   * app downstream. Null for an app with nothing to say, nearly every one: nothing kept for it.
   */
  readonly #checked = new AppMemo<Checked | null>();
  /** The last list and its answer: a rule write checks the same apps again. */
  #last: { readonly apps: readonly App[]; readonly result: CheckedApps } | null = null;

  check(apps: readonly App[]): CheckedApps {
    if (this.#last?.apps === apps) return this.#last.result;
    const problems: { id: string; message: string }[] = [];
    const checked = apps.map((app) => {
      const result = this.#checkedApp(app);
      if (result === null) return app;
      problems.push(...result.problems);
      return result.app;
    });
    this.#checked.keepOnly(apps);
    this.#last = { apps, result: { apps: checked, problems } };
    return this.#last.result;
  }

  #checkedApp(app: App): Checked | null {
    const known = this.#checked.get(app);
    if (known !== undefined) return known;
    const checked = withValidSettings(app);
    const result = checked.app === app && checked.problems.length === 0 ? null : checked;
    this.#checked.set(app, result);
    return result;
  }
}

interface Checked {
  readonly app: App;
  readonly problems: CheckedApps["problems"];
}

function withValidSettings(app: App): Checked {
  const problems: { id: string; message: string }[] = [];
  let env: Record<string, string> | null = null;
  for (const name of PORT_SETTINGS) {
    const value = app.env[name];
    if (value === undefined || value === "" || isPort(value)) continue;
    env ??= { ...app.env };
    delete env[name];
    problems.push({ id: app.id, message: `env ${name}='${value}' ignored: expected a port number from 1 to 65535` });
  }
  // Read where they are used (https-settings.ts), which ignores them: only said here.
  for (const message of appHttpsSettingProblems(app)) problems.push({ id: app.id, message });
  let labels: Record<string, string> | null = null;
  const balance = (app.labels.HAPROXY_0_BALANCE ?? "").trim();
  const balanceProblems: string[] = [];
  if (balance !== "" && balanceOf(balance, 0, balanceProblems) === "") {
    labels = { ...app.labels };
    delete labels.HAPROXY_0_BALANCE;
    for (const message of balanceProblems) problems.push({ id: app.id, message });
  }
  const checked = env === null && labels === null ? app : { ...app, ...(env ? { env } : {}), ...(labels ? { labels } : {}) };
  return { app: checked, problems };
}
