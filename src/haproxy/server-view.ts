import { TimeSlice } from "../system/time-slice.ts";
import { adminStateOf } from "./runtime-parse.ts";
import { PARKED_ADDRESS } from "./slots.ts";

export type ServerView = "UP" | "DOWN" | "MAINT" | "DRAIN" | "NOLB";

/**
 * HAProxy's own view of each server by "host:port", from `show servers state`. Parked slots
 * are left out. At 10,000 apps the reply has 80,000 lines (`show stat`, five times the text
 * with every column parsed, cost a third of a second per poll): each line is read only up to
 * the columns needed, and the scan gives way every few milliseconds (`slice`), so the poll of
 * an open UI never holds the event loop that routes task events for longer.
 */
export async function serverViewsFromState(dump: string, slice = new TimeSlice()): Promise<Map<string, ServerView>> {
  const views = new Map<string, ServerView>();
  const headerStart = dump.indexOf("# ");
  if (headerStart < 0) return views;
  const headerEnd = dump.indexOf("\n", headerStart);
  const columns = dump.slice(headerStart + 2, headerEnd < 0 ? undefined : headerEnd).trim().split(/\s+/);
  const [addr, port, op, admin] = ["srv_addr", "srv_port", "srv_op_state", "srv_admin_state"].map((name) => columns.indexOf(name)) as [number, number, number, number];
  if ([addr, port, op, admin].includes(-1) || headerEnd < 0) return views;
  const parked = `${PARKED_ADDRESS.host}:${PARKED_ADDRESS.port}`;
  const wanted = [addr, port, op, admin];
  const last = Math.max(...wanted);
  const values: string[] = ["", "", "", ""];
  for (let lineStart = headerEnd + 1; lineStart < dump.length; ) {
    const newline = dump.indexOf("\n", lineStart);
    const lineEnd = newline < 0 ? dump.length : newline;
    if (dump.charCodeAt(lineStart) !== 35 /* # */ && readColumns(dump, lineStart, lineEnd, wanted, last, values)) {
      const address = `${values[0]}:${values[1]}`;
      if (address !== parked) views.set(address, viewOf(Number(values[2]), Number(values[3])));
    }
    lineStart = lineEnd + 1;
    if (slice.due()) await slice.pause();
  }
  return views;
}

/** Copies the wanted space-separated columns of one line into `into`; false when the line is too short. */
function readColumns(text: string, start: number, end: number, wanted: readonly number[], last: number, into: string[]): boolean {
  let column = 0;
  let from = start;
  while (column <= last) {
    if (from >= end) return false;
    const space = text.indexOf(" ", from);
    const to = space < 0 || space > end ? end : space;
    const slot = wanted.indexOf(column);
    if (slot >= 0) into[slot] = text.slice(from, to);
    from = to + 1;
    column++;
  }
  return true;
}

/** srv_op_state: 0 stopped, 1 starting (slow start), 2 running, 3 stopping. */
function viewOf(opState: number, adminState: number): ServerView {
  const admin = adminStateOf(adminState);
  if (admin === "maint") return "MAINT";
  if (admin === "drain") return "DRAIN";
  if (opState === 0) return "DOWN";
  if (opState === 3) return "NOLB";
  return "UP";
}
