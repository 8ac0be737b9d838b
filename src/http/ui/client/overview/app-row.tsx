import { memo } from "preact/compat";
import { useState } from "preact/hooks";
import type { OverviewApp } from "../../api-types.ts";
import { StatusBadge } from "../status-badge.tsx";
import { ServerList, ServerStates } from "./server-states.tsx";

export interface AppRowProps {
  readonly app: OverviewApp;
  readonly onEdit: (app: OverviewApp) => void;
}

/**
 * One app. Every live update parses a fresh overview, so object identity always differs;
 * comparing content keeps an update to one app from re-rendering every visible row.
 */
export const AppRow = memo(
  function AppRow({ app, onEdit }: AppRowProps) {
    const [open, setOpen] = useState(false);
    const detailsId = `servers-${app.id}`;
    return (
      <tr class={`app status-${app.status}`} data-app-id={app.id}>
        <td class="c-status">
          <StatusBadge status={app.status} title={app.statusText} />
        </td>
        <th scope="row" class="c-id">
          <span class="id">{app.id}</span>
          <span class="status-text">{app.statusText}</span>
        </th>
        <td class="c-rule" data-label="Rule">
          <code>{app.rule.acl}</code>
          {app.rule.source === "default" && <span class="tag">default</span>}
        </td>
        <td class="c-num c-instances" data-label="Instances">
          {app.instances}
        </td>
        <td class="c-num c-tasks" data-label="Healthy / routed">
          <span class="healthy">{app.tasks.healthy}</span> / <span class="routed">{app.tasks.routed}</span>
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
  (before, after) => before.onEdit === after.onEdit && JSON.stringify(before.app) === JSON.stringify(after.app),
);
