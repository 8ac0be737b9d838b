import type { Overview, OverviewChanges } from "../api-types.ts";

/**
 * The overview after `changes`, or null when they do not follow `current` (a version was
 * missed): then only a full overview can be trusted. Rows keep the appliance's order (by id).
 */
export function applyChanges(current: Overview, changes: OverviewChanges): Overview | null {
  if (changes.version !== current.version + 1) return null;
  const rows = new Map(current.apps.map((row) => [row.id, row]));
  for (const id of changes.removed) rows.delete(id);
  for (const row of changes.apps) rows.set(row.id, row);
  const { removed: _removed, ...rest } = changes;
  return { ...rest, apps: [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
}
