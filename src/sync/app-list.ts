import type { App } from "../marathon/types.ts";

/** A full answer of Marathon's app list, as the reconciler needs it. */
export interface FullAppList {
  readonly apps: readonly App[];
  /** Listed entries that could not be read: their ids, "" when not even the id was readable. */
  readonly unreadable: readonly string[];
}

/**
 * The apps to keep after a full list: the listed ones, plus the last known version of every
 * app whose entry could not be read. An entry without a readable id could be any app, so
 * while one is listed no known app counts as removed. Pure.
 */
export function mergeFullList(known: ReadonlyMap<string, App>, list: FullAppList): Map<string, App> {
  const next = new Map(list.apps.map((app) => [app.id, app]));
  const keepAll = list.unreadable.includes("");
  for (const [id, app] of known) {
    if (!next.has(id) && (keepAll || list.unreadable.includes(id))) next.set(id, app);
  }
  return next;
}

/** A list that would remove many known apps: how many were known and how many remain. */
export interface Shrink {
  readonly from: number;
  readonly to: number;
}

/**
 * Whether `next` removes all known apps, or more than `above` (0..1] of them: what a Marathon
 * answering from an empty or half-loaded state after a leader change looks like. Pure.
 */
export function shrinkOf(known: ReadonlyMap<string, App>, next: ReadonlyMap<string, App>, above: number): Shrink | null {
  if (known.size === 0) return null;
  let removed = 0;
  for (const id of known.keys()) if (!next.has(id)) removed++;
  if (removed === 0) return null;
  return removed === known.size || removed / known.size > above ? { from: known.size, to: next.size } : null;
}
