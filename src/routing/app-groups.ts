import type { App } from "../marathon/types.ts";
import { AppMemo } from "../marathon/app-memo.ts";

/**
 * Which apps one instance serves, so an edge pair and per-agent instances can share a
 * Marathon: `BAMBOO_GROUPS` against the groups each app names in its labels, as
 * marathon-lb's `--group` reads `HAPROXY_GROUP`.
 */
export interface GroupFilter {
  /** Empty: every app (Bamboo's behaviour). `*` among them: every app, grouped or not. */
  readonly groups: readonly string[];
  /** Whether apps that name no group are served once `groups` names some. */
  readonly ungrouped: UngroupedApps;
}

export type UngroupedApps = "skip" | "serve";

export const SERVE_EVERY_APP: GroupFilter = { groups: [], ungrouped: "serve" };

/**
 * The groups an app names for the port routed by host and path (port 0): bamboo's own
 * `BAMBOO_GROUP` label, else marathon-lb's `HAPROXY_0_GROUP`, which overrides its
 * `HAPROXY_GROUP`. Each is a comma-separated list.
 */
export function appGroups(labels: Readonly<Record<string, string>>): string[] {
  const raw = labels.BAMBOO_GROUP ?? labels.HAPROXY_0_GROUP ?? labels.HAPROXY_GROUP ?? "";
  return raw
    .split(",")
    .map((group) => group.trim())
    .filter((group) => group !== "");
}

/** Whether `filter` lets this instance serve an app of these groups. */
export function servesGroups(filter: GroupFilter, groups: readonly string[]): boolean {
  if (filter.groups.length === 0 || filter.groups.includes("*")) return true;
  if (groups.length === 0) return filter.ungrouped === "serve";
  return groups.some((group) => filter.groups.includes(group));
}

export interface GroupedApps {
  readonly served: readonly App[];
  /** Ids of the apps left to other instances, by id order. */
  readonly elsewhere: readonly string[];
}

/**
 * Sorts apps into those this instance serves and those it leaves to others. The same list
 * gives the same answer object, and the list of every app is kept as is when all are
 * served: later steps tell unchanged apps apart by identity.
 */
export class AppGroupSorter {
  #last: { readonly apps: readonly App[]; readonly result: GroupedApps } | null = null;
  readonly #served = new AppMemo<boolean>();

  constructor(private readonly filter: GroupFilter) {}

  sort(apps: readonly App[]): GroupedApps {
    if (this.#last?.apps === apps) return this.#last.result;
    const result = this.#sort(apps);
    this.#last = { apps, result };
    return result;
  }

  #sort(apps: readonly App[]): GroupedApps {
    if (this.filter.groups.length === 0 || this.filter.groups.includes("*")) return { served: apps, elsewhere: [] };
    const served: App[] = [];
    const elsewhere: string[] = [];
    for (const app of apps) {
      let serves = this.#served.get(app);
      if (serves === undefined) this.#served.set(app, (serves = servesGroups(this.filter, appGroups(app.labels))));
      if (serves) served.push(app);
      else elsewhere.push(app.id);
    }
    this.#served.keepOnly(apps);
    return { served: elsewhere.length === 0 ? apps : served, elsewhere };
  }
}
