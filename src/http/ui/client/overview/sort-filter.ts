import type { AppStatus, OverviewApp } from "../../api-types.ts";

export type SortKey = "id" | "status" | "instances" | "healthy";
export interface SortOrder {
  readonly key: SortKey;
  readonly descending: boolean;
}
export type StatusFilter = AppStatus | "all";

/** Worst first when sorting by status: the rows that need attention come to the top. */
const STATUS_RANK: Readonly<Record<AppStatus, number>> = { "no-healthy-task": 0, partial: 1, "no-rule": 2, healthy: 3 };

export const STATUS_WORDS: Readonly<Record<AppStatus, string>> = {
  healthy: "Healthy",
  "no-healthy-task": "503",
  partial: "Partly healthy",
  "no-rule": "No rule",
};

/**
 * Case-insensitive substring match on the id; several words must all match, so
 * "shop api" finds /shop/payments-api.
 */
export function filterApps(apps: readonly OverviewApp[], query: string, status: StatusFilter): OverviewApp[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return apps.filter((app) => {
    if (status !== "all" && app.status !== status) return false;
    const id = app.id.toLowerCase();
    return words.every((word) => id.includes(word));
  });
}

/** Numeric-aware, so /app-2 sorts before /app-10; one collator is much faster than localeCompare. */
const collator = new Intl.Collator(undefined, { numeric: true });

export function sortApps(apps: OverviewApp[], order: SortOrder): OverviewApp[] {
  const direction = order.descending ? -1 : 1;
  const compare = COMPARATORS[order.key];
  // The id breaks ties so equal rows never swap places between live updates.
  return apps.sort((a, b) => direction * compare(a, b) || collator.compare(a.id, b.id));
}

const COMPARATORS: Readonly<Record<SortKey, (a: OverviewApp, b: OverviewApp) => number>> = {
  id: (a, b) => collator.compare(a.id, b.id),
  status: (a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status],
  instances: (a, b) => a.instances - b.instances,
  healthy: (a, b) => a.tasks.healthy - b.tasks.healthy,
};

export function countByStatus(apps: readonly OverviewApp[]): Record<AppStatus, number> {
  const counts: Record<AppStatus, number> = { healthy: 0, "no-healthy-task": 0, partial: 0, "no-rule": 0 };
  for (const app of apps) counts[app.status] += 1;
  return counts;
}
