import type { AppStatus, OverviewApp } from "../../api-types.ts";
import { currentValue, ERRORS, REQUESTS, type Measure, type TrafficSeries } from "../traffic/traffic-state.ts";

/** `requests` and `errors` sort by the current rate (the last sample) of requests and of 5xx. */
export type SortKey = "id" | "status" | "instances" | "healthy" | "requests" | "errors";
export interface SortOrder {
  readonly key: SortKey;
  readonly descending: boolean;
}
export type StatusFilter = AppStatus | "all";
/** Apps with any request, or any 5xx, in the traffic window. */
export type TrafficFilter = "all" | "with-traffic" | "with-errors";
/** The series of the apps that had traffic (traffic-state.ts); an app not in it had none. */
export type TrafficById = ReadonlyMap<string, TrafficSeries>;

const NO_TRAFFIC: TrafficById = new Map();

export const TRAFFIC_FILTER_WORDS: Readonly<Record<TrafficFilter, string>> = {
  all: "All",
  "with-traffic": "With traffic",
  "with-errors": "With 5xx errors",
};

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
export function filterApps(apps: readonly OverviewApp[], query: string, status: StatusFilter, traffic: TrafficFilter = "all", byId: TrafficById = NO_TRAFFIC): OverviewApp[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return apps.filter((app) => {
    if (status !== "all" && app.status !== status) return false;
    if (traffic === "with-traffic" && !byId.get(app.id)?.hasRequests) return false;
    if (traffic === "with-errors" && !byId.get(app.id)?.hasErrors) return false;
    const id = app.id.toLowerCase();
    return words.every((word) => id.includes(word));
  });
}

/** Numeric-aware, so /app-2 sorts before /app-10; one collator is much faster than localeCompare. */
const collator = new Intl.Collator(undefined, { numeric: true });

export function sortApps(apps: OverviewApp[], order: SortOrder, byId: TrafficById = NO_TRAFFIC): OverviewApp[] {
  const direction = order.descending ? -1 : 1;
  const { key } = order;
  // The id breaks ties so equal rows never swap places between live updates.
  if (!isTrafficKey(key)) return apps.sort((a, b) => direction * COMPARATORS[key](a, b) || collator.compare(a.id, b.id));
  // Each rate read once, not twice per comparison: sorted again after every sample, at 10,000 apps.
  const measure = TRAFFIC_MEASURES[key];
  const keyed = apps.map((app) => ({ app, rate: currentValue(byId.get(app.id), measure) }));
  keyed.sort((a, b) => direction * (a.rate - b.rate) || collator.compare(a.app.id, b.app.id));
  keyed.forEach((entry, i) => (apps[i] = entry.app));
  return apps;
}

/** Whether sorting by `key` reads traffic: the list must then be sorted again after every sample. */
export function sortReadsTraffic(key: SortKey): boolean {
  return isTrafficKey(key);
}

type TrafficKey = "requests" | "errors";

function isTrafficKey(key: SortKey): key is TrafficKey {
  return key === "requests" || key === "errors";
}

const TRAFFIC_MEASURES: Readonly<Record<TrafficKey, Measure>> = { requests: REQUESTS, errors: ERRORS };

const COMPARATORS: Readonly<Record<Exclude<SortKey, TrafficKey>, (a: OverviewApp, b: OverviewApp) => number>> = {
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
