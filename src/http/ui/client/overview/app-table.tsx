import { useLayoutEffect } from "preact/hooks";
import type { OverviewApp } from "../../api-types.ts";
import { AppRow } from "./app-row.tsx";
import type { SortKey, SortOrder } from "./sort-filter.ts";
import { useWindow } from "./use-window.ts";

interface Column {
  readonly label: string;
  readonly className: string;
  readonly sort?: SortKey;
}

const COLUMNS: readonly Column[] = [
  { label: "Status", className: "c-status", sort: "status" },
  { label: "App", className: "c-id", sort: "id" },
  { label: "Rule", className: "c-rule" },
  { label: "Instances", className: "c-num", sort: "instances" },
  { label: "Healthy / routed", className: "c-num", sort: "healthy" },
  { label: "HAProxy", className: "c-servers" },
  { label: "Actions", className: "c-actions" },
];

export function AppTable(props: {
  apps: readonly OverviewApp[];
  order: SortOrder;
  onSort: (order: SortOrder) => void;
  onEdit: (app: OverviewApp) => void;
  resetKey: string;
}) {
  const { apps, order, onSort, onEdit } = props;
  const { limit, showMore, sentinel } = useWindow(apps.length, props.resetKey);
  // For scripts/bench/ui-load.ts: when the first rows are in the DOM, before layout and paint.
  useLayoutEffect(() => {
    if (apps.length > 0 && performance.getEntriesByName("bamboo:first-rows").length === 0) performance.mark("bamboo:first-rows");
  }, [apps.length > 0]);
  if (apps.length === 0) return <p class="empty">No app matches.</p>;
  return (
    <>
      <table class="apps">
        <caption class="visually-hidden">Marathon apps and how HAProxy routes them</caption>
        <thead>
          <tr>
            {COLUMNS.map((column) => (
              <th
                key={column.label}
                scope="col"
                class={column.className}
                aria-sort={column.sort === order.key ? (order.descending ? "descending" : "ascending") : undefined}
              >
                {column.sort ? (
                  <button
                    type="button"
                    class="sort"
                    onClick={() => onSort({ key: column.sort!, descending: column.sort === order.key ? !order.descending : false })}
                  >
                    {column.label}
                    <span class="arrow" aria-hidden="true">
                      {column.sort === order.key ? (order.descending ? "▼" : "▲") : ""}
                    </span>
                  </button>
                ) : (
                  column.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {apps.slice(0, limit).map((app) => (
            <AppRow key={app.id} app={app} onEdit={onEdit} />
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
