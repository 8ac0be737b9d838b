import { useCallback, useMemo, useState } from "preact/hooks";
import type { Overview, OverviewApp } from "../../api-types.ts";
import type { EditTarget } from "../rules/rule-editor.tsx";
import { plural } from "../format.ts";
import { AppTable } from "./app-table.tsx";
import { OrphanList } from "./orphan-list.tsx";
import {
  countByStatus,
  filterApps,
  sortApps,
  sortReadsTraffic,
  STATUS_WORDS,
  TRAFFIC_FILTER_WORDS,
  type SortOrder,
  type StatusFilter,
  type TrafficById,
  type TrafficFilter,
} from "./sort-filter.ts";
import { StatusBadge } from "../status-badge.tsx";
import type { TrafficState } from "../traffic/traffic-state.ts";
import { TrafficTotals } from "../traffic/traffic-totals.tsx";

const STATUS_ORDER = ["no-healthy-task", "partial", "no-rule", "healthy"] as const;
const TRAFFIC_FILTERS = ["all", "with-traffic", "with-errors"] as const;

/** The apps view: traffic totals, the filter and sort controls, the table, and rules for apps that do not exist. */
export function OverviewPanel(props: { overview: Overview | null; traffic: TrafficState | null; onEdit: (target: EditTarget) => void }) {
  const { overview, traffic, onEdit } = props;
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState<StatusFilter>("all");
  const [trafficFilter, setTrafficFilter] = useState<TrafficFilter>("all");
  const [order, setOrder] = useState<SortOrder>({ key: "id", descending: false });

  const apps = overview?.apps ?? [];
  const counts = useMemo(() => countByStatus(apps), [apps]);
  // A sample changes the order only when the list is sorted or filtered by traffic: otherwise
  // 10,000 apps are not filtered and sorted again every few seconds.
  const trafficById: TrafficById | undefined = sortReadsTraffic(order.key) || trafficFilter !== "all" ? traffic?.apps : undefined;
  const shown = useMemo(() => sortApps(filterApps(apps, query, status, trafficFilter, trafficById), order, trafficById), [apps, query, status, trafficFilter, trafficById, order]);
  const editApp = useCallback(
    (app: OverviewApp) => onEdit(app.rule.source === "service" ? { mode: "edit", id: app.id, acl: app.rule.acl } : { mode: "add", id: app.id }),
    [onEdit],
  );

  return (
    <section aria-labelledby="apps-title" class="panel">
      <div class="panel-head">
        <h1 id="apps-title">Apps</h1>
        <button type="button" class="primary" onClick={() => onEdit({ mode: "add", id: "" })}>
          Add rule
        </button>
      </div>
      <TrafficTotals traffic={traffic} />
      <div class="summary" aria-label="Apps by status">
        {STATUS_ORDER.map((key) => (
          <button
            type="button"
            key={key}
            class="summary-item"
            aria-pressed={status === key}
            onClick={() => setStatus(status === key ? "all" : key)}
          >
            <StatusBadge status={key} /> <strong>{counts[key]}</strong>
          </button>
        ))}
      </div>
      <div class="toolbar" role="search">
        <label class="grow">
          Filter by id
          <input type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} placeholder="e.g. shop api" autocomplete="off" spellcheck={false} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as StatusFilter)}>
            <option value="all">All</option>
            {STATUS_ORDER.map((key) => (
              <option key={key} value={key}>
                {STATUS_WORDS[key]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Traffic
          <select name="traffic" value={trafficFilter} onChange={(e) => setTrafficFilter(e.currentTarget.value as TrafficFilter)}>
            {TRAFFIC_FILTERS.map((key) => (
              <option key={key} value={key}>
                {TRAFFIC_FILTER_WORDS[key]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="muted result-count" role="status" aria-live="polite">
        {overview === null ? "Waiting for the appliance…" : `${plural(shown.length, "app")} shown of ${apps.length}`}
      </p>
      {overview?.elsewhere && (
        <p class="muted elsewhere">
          {plural(overview.elsewhere.count, "more app")} in Marathon {overview.elsewhere.count === 1 ? "belongs" : "belong"} to other groups: this instance serves only{" "}
          {overview.elsewhere.groups.join(", ")} (BAMBOO_GROUPS).
        </p>
      )}
      {overview !== null && <AppTable apps={shown} order={order} onSort={setOrder} onEdit={editApp} traffic={traffic} resetKey={`${query}|${status}|${trafficFilter}|${order.key}|${order.descending}`} />}
      {overview !== null && overview.orphanServices.length > 0 && <OrphanList services={overview.orphanServices} onEdit={onEdit} />}
    </section>
  );
}
