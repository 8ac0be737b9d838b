import { useLayoutEffect } from "preact/hooks";
import type { OverviewApp } from "../../api-types.ts";
import type { TrafficState } from "../traffic/traffic-state.ts";
import { shownSpanMs } from "../traffic/chart-scale.ts";
import { AppRow } from "./app-row.tsx";
import type { SortKey, SortOrder } from "./sort-filter.ts";
import { useWindow } from "./use-window.ts";

/** A way to sort by a column: its button's words, and whether the first press sorts the largest first. */
interface ColumnSort {
  readonly key: SortKey;
  readonly label: string;
  readonly largestFirst?: boolean;
}

/** A column's header: its name is the sort button, or it names several sorts (Traffic: req/s, 5xx/s). */
interface Column {
  readonly label: string;
  readonly className: string;
  readonly sorts: readonly ColumnSort[];
  readonly sortsNamed?: boolean;
}

const COLUMNS: readonly Column[] = [
  { label: "Status", className: "c-status", sorts: [{ key: "status", label: "Status" }] },
  { label: "App", className: "c-id", sorts: [{ key: "id", label: "App" }] },
  { label: "Rule", className: "c-rule", sorts: [] },
  { label: "Instances", className: "c-num", sorts: [{ key: "instances", label: "Instances" }] },
  { label: "Healthy / routed", className: "c-num", sorts: [{ key: "healthy", label: "Healthy / routed" }] },
  {
    label: "Traffic",
    className: "c-traffic",
    sortsNamed: true,
    // The busiest and the most failing apps are what one sorts by traffic for.
    sorts: [
      { key: "requests", label: "req/s", largestFirst: true },
      { key: "errors", label: "5xx/s", largestFirst: true },
    ],
  },
  { label: "HAProxy", className: "c-servers", sorts: [] },
  { label: "Actions", className: "c-actions", sorts: [] },
];

export function AppTable(props: {
  apps: readonly OverviewApp[];
  order: SortOrder;
  onSort: (order: SortOrder) => void;
  onEdit: (app: OverviewApp) => void;
  traffic: TrafficState | null;
  resetKey: string;
}) {
  const { apps, order, onSort, onEdit, traffic } = props;
  const { limit, showMore, sentinel } = useWindow(apps.length, props.resetKey);
  // With sampling off a row's zero would claim a quiet app; it shows a dash instead.
  // Every row on one time scale, the span the appliance's samples cover, so rows compare.
  const windowMs = traffic && traffic.sampling.state !== "off" ? shownSpanMs(traffic.totals.times, traffic.windowMs) : null;
  // For scripts/bench/ui-load.ts: when the first rows are in the DOM, before layout and paint.
  useLayoutEffect(() => {
    if (apps.length > 0 && performance.getEntriesByName("bamboo:first-rows").length === 0) performance.mark("bamboo:first-rows");
  }, [apps.length > 0]);
  if (apps.length === 0) return <p class="empty">No app matches.</p>;
  return (
    <>
      <table class="data-table apps">
        <caption class="visually-hidden">Marathon apps and how HAProxy routes them</caption>
        <thead>
          <tr>
            {COLUMNS.map((column) => {
              const sorted = column.sorts.find((sort) => sort.key === order.key);
              return (
                <th key={column.label} scope="col" class={column.className} aria-sort={sorted ? (order.descending ? "descending" : "ascending") : undefined}>
                  {column.sortsNamed && <span class="sorts-name">{column.label}</span>}
                  {column.sorts.map((sort) => (
                    <SortButton key={sort.key} sort={sort} order={order} onSort={onSort} label={column.sortsNamed ? `Sort by ${column.label} ${sort.label}` : undefined} />
                  ))}
                  {column.sorts.length === 0 && column.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {apps.slice(0, limit).map((app) => (
            <AppRow key={app.id} app={app} onEdit={onEdit} traffic={traffic?.apps.get(app.id)} windowMs={windowMs} />
          ))}
        </tbody>
      </table>
      {limit < apps.length && (
        <div ref={sentinel} class="more">
          <button type="button" onClick={showMore}>
            Show more ({apps.length - limit} not shown)
          </button>
        </div>
      )}
    </>
  );
}

function SortButton(props: { sort: ColumnSort; order: SortOrder; onSort: (order: SortOrder) => void; label: string | undefined }) {
  const { sort, order, onSort } = props;
  const active = sort.key === order.key;
  const largestFirst = sort.largestFirst ?? false;
  return (
    <button
      type="button"
      class="sort"
      aria-label={props.label}
      onClick={() => onSort({ key: sort.key, descending: active ? !order.descending : largestFirst })}
    >
      {sort.label}
      <span class="arrow" aria-hidden="true">
        {active ? (order.descending ? "▼" : "▲") : ""}
      </span>
    </button>
  );
}
