import { adminStateOf } from "./runtime-parse.ts";
import { PARKED_ADDRESS } from "./slots.ts";

export type ServerView = "UP" | "DOWN" | "MAINT" | "DRAIN" | "NOLB";

/**
 * HAProxy's own view of each server by "host:port", from `show servers state`. Parked slots
 * are left out. At 10,000 apps the reply has 80,000 lines, so each line is read only up to
 * the columns needed, where `show stat` (five times the text, every column parsed) cost
 * a third of a second per poll.
 */
export function serverViewsFromState(dump: string): Map<string, ServerView> {
  const views = new Map<string, ServerView>();
  const headerStart = dump.indexOf("# ");
  if (headerStart < 0) return views;
  const headerEnd = dump.indexOf("\n", headerStart);
  const columns = dump.slice(headerStart + 2, headerEnd < 0 ? undefined : headerEnd).trim().split(/\s+/);
  const [addr, port, op, admin] = ["srv_addr", "srv_port", "srv_op_state", "srv_admin_state"].map((name) => columns.indexOf(name)) as [number, number, number, number];
  if ([addr, port, op, admin].includes(-1) || headerEnd < 0) return views;
  const needed = Math.max(addr, port, op, admin) + 1;
  const parked = `${PARKED_ADDRESS.host}:${PARKED_ADDRESS.port}`;
  for (const line of dump.slice(headerEnd + 1).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(" ", needed);
    if (fields.length < needed) continue;
    const address = `${fields[addr]}:${fields[port]}`;
    if (address === parked) continue;
    views.set(address, viewOf(Number(fields[op]), Number(fields[admin])));
  }
  return views;
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
