import type { StatRow } from "./runtime-parse.ts";

export type ServerView = "UP" | "DOWN" | "MAINT" | "DRAIN" | "NOLB";

/**
 * HAProxy's own view of each server by "host:port", from `show stat`. A server without
 * health checks reports "no check", which means it takes traffic: shown as UP.
 */
export function serverViewsFromStat(rows: readonly StatRow[]): Map<string, ServerView> {
  const views = new Map<string, ServerView>();
  for (const row of rows) {
    if (row.svname === "FRONTEND" || row.svname === "BACKEND") continue;
    const address = row.addr;
    const view = viewOf(row.status ?? "");
    if (address && view) views.set(address, view);
  }
  return views;
}

function viewOf(status: string): ServerView | null {
  if (status.startsWith("MAINT")) return "MAINT";
  if (status.startsWith("DRAIN")) return "DRAIN";
  if (status.startsWith("NOLB")) return "NOLB";
  if (status.startsWith("DOWN")) return "DOWN";
  if (status.startsWith("UP") || status === "no check") return "UP";
  return null;
}
