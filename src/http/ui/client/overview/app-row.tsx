import { memo } from "preact/compat";
import { useState } from "preact/hooks";
import type { OverviewApp } from "../../api-types.ts";
import { StatusBadge } from "../status-badge.tsx";
import { TrafficCell } from "../traffic/traffic-cell.tsx";
import type { TrafficSeries } from "../traffic/traffic-state.ts";
import { appHash } from "../use-hash-view.ts";
import { ServerList, ServerStates } from "./server-states.tsx";

export interface AppRowProps {
  readonly app: OverviewApp;
  readonly onEdit: (app: OverviewApp) => void;
  /** The app's traffic in the window; undefined when it had none. */
  readonly traffic: TrafficSeries | undefined;
  /** The traffic window, or null when the appliance sends no traffic. */
  readonly windowMs: number | null;
}

/**
 * One app. Every live update parses a fresh overview, so object identity always differs;
 * comparing content keeps an update to one app from re-rendering every visible row. Traffic
 * is compared by identity: a sample gives a new series only to apps with traffic in the window.
 */
export const AppRow = memo(
  function AppRow({ app, onEdit, traffic, windowMs }: AppRowProps) {
    const [open, setOpen] = useState(false);
    const detailsId = `servers-${app.id}`;
    return (
      <tr class={`app status-${app.status}`} data-app-id={app.id}>
        <td class="c-status">
          <StatusBadge status={app.status} title={app.statusText} />
        </td>
        <th scope="row" class="c-id">
          <a class="id" href={appHash(app.id)}>
            {app.id}
          </a>
          <span class="status-text">{app.statusText}</span>
        </th>
        <td class="c-rule" data-label="Rule">
          <code>{app.rule.acl}</code>
          {app.rule.source !== "service" && <span class="tag">{app.rule.source === "labels" ? "labels" : "default"}</span>}
        </td>
        <td class="c-num c-instances" data-label="Instances">
          {app.instances}
        </td>
        <td class="c-num c-tasks" data-label="Healthy / routed">
          <span class="healthy">{app.tasks.healthy}</span> / <span class="routed">{app.tasks.routed}</span>
        </td>
        <td class="c-traffic" data-label="Traffic">
          <TrafficCell series={traffic} windowMs={windowMs} />
        </td>
        <td class="c-servers" data-label="HAProxy">
          <button type="button" class="link" aria-expanded={open} aria-controls={detailsId} onClick={() => setOpen(!open)}>
            <ServerStates servers={app.servers} />
          </button>
          {open && (
            <div id={detailsId}>
              <ServerList servers={app.servers} />
            </div>
          )}
        </td>
        <td class="c-actions">
          <button type="button" onClick={() => onEdit(app)} aria-label={`${app.rule.source === "service" ? "Edit" : "Add"} rule for ${app.id}`}>
            {app.rule.source === "service" ? "Edit rule" : "Add rule"}
          </button>
        </td>
      </tr>
    );
  },
  (before, after) =>
    before.onEdit === after.onEdit &&
    before.traffic === after.traffic &&
    before.windowMs === after.windowMs &&
    // A traffic sample leaves the overview as it was: the same object, no need to compare its text.
    (before.app === after.app || JSON.stringify(before.app) === JSON.stringify(after.app)),
);
