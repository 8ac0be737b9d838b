/**
 * Reads the runtime API's `show stat` CSV: only the counters traffic sampling needs, located
 * by the header line's column names (their order may change between HAProxy versions).
 * At 10,000 backends a dump is 2.4 MB of lines with 129 columns each; splitting every line
 * would make a million strings, so each line is scanned only up to the last column needed,
 * and the scan gives way to the event loop every few milliseconds (`slice`).
 */
import { TimeSlice } from "../system/time-slice.ts";


/** HAProxy's `type` column. */
export type StatKind = "frontend" | "backend" | "server" | "listener";

export interface StatRow {
  /** `pxname`: the frontend, backend or listen section. */
  readonly proxy: string;
  /** `svname`: FRONTEND, BACKEND or the server's name. */
  readonly name: string;
  readonly kind: StatKind;
  /** HTTP requests (`req_tot`) in HTTP mode, else connections (`stot`); cumulative. */
  readonly requests: number;
  /** `hrsp_5xx`, cumulative; 0 in TCP mode, where HAProxy leaves it empty. */
  readonly errors: number;
  /** `rtime`: mean response time of the last 1,024 requests, in ms; null when HAProxy gives none. */
  readonly responseMs: number | null;
  /** `addr` of a server ("host:port"); "" for other rows. */
  readonly address: string;
  /** `status`: UP, DOWN, MAINT, "no check"...; free server slots are in MAINT. */
  readonly status: string;
}

const KINDS: readonly StatKind[] = ["frontend", "backend", "server", "listener"];
/** Older HAProxy versions lack some optional columns (mode, addr, a backend's req_tot): rows then fall back. */
const REQUIRED = ["pxname", "svname", "stot", "type"] as const;
const OPTIONAL = ["hrsp_5xx", "req_tot", "rtime", "addr", "mode", "status"] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

export class StatCsvError extends Error {}

/** The rows of a `show stat` answer, in order; see {@link forEachStatRow}. */
export async function parseStatCsv(text: string, slice = new TimeSlice()): Promise<StatRow[]> {
  const rows: StatRow[] = [];
  await forEachStatRow(text, (row) => void rows.push(row), slice);
  return rows;
}

/**
 * Hands each row of a `show stat` answer to `onRow` as it is read, so what is done with a
 * row shares the scan's time slices and 10,000 rows never exist at once.
 * @throws StatCsvError when the answer has no header naming the needed columns (an error reply).
 */
export async function forEachStatRow(text: string, onRow: (row: StatRow) => void, slice = new TimeSlice()): Promise<void> {
  const headerEnd = text.indexOf("\n");
  const header = headerEnd < 0 ? text : text.slice(0, headerEnd);
  if (!header.startsWith("# ")) throw new StatCsvError(`show stat answered without its header: ${JSON.stringify(header.slice(0, 120))}`);
  const names = header.slice(2).split(",");
  const at = {} as Record<Column, number>;
  for (const column of [...REQUIRED, ...OPTIONAL]) at[column] = names.indexOf(column);
  const missing = REQUIRED.filter((column) => at[column] < 0);
  if (missing.length > 0) throw new StatCsvError(`show stat has no column ${missing.join(", ")}`);
  const last = Math.max(...Object.values(at));
  const fields: string[] = new Array(last + 1);
  let start = headerEnd < 0 ? text.length : headerEnd + 1;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start && scanFields(text, start, end, fields, last)) {
      const row = rowOf(fields, at);
      if (row) onRow(row);
    }
    start = end + 1;
    if (slice.due()) await slice.pause();
  }
}

/** Fills `fields` with the line's first `last + 1` comma-separated fields; false when it has fewer. */
function scanFields(text: string, start: number, end: number, fields: string[], last: number): boolean {
  let from = start;
  for (let i = 0; i <= last; i++) {
    let comma = text.indexOf(",", from);
    if (comma < 0 || comma > end) {
      if (i !== last) return false;
      comma = end;
    }
    fields[i] = text.slice(from, comma);
    from = comma + 1;
  }
  return true;
}

function rowOf(fields: readonly string[], at: Record<Column, number>): StatRow | null {
  const kind = KINDS[Number(fields[at.type])];
  if (kind === undefined) return null;
  const field = (column: Column) => (at[column] < 0 ? "" : fields[at[column]]!);
  const requests = field("req_tot");
  // Without a mode column, a row that counts requests is taken for HTTP.
  const http = at.mode < 0 ? requests !== "" : field("mode") === "http";
  const rtime = field("rtime");
  return {
    proxy: field("pxname"),
    name: field("svname"),
    kind,
    requests: counter(http && requests !== "" ? requests : field("stot")),
    errors: counter(field("hrsp_5xx")),
    responseMs: rtime === "" ? null : counter(rtime),
    address: kind === "server" ? field("addr") : "",
    status: field("status"),
  };
}

/** An empty or unreadable counter is 0: HAProxy leaves columns empty where they do not apply. */
function counter(field: string): number {
  const value = Number(field);
  return field === "" || !Number.isFinite(value) || value < 0 ? 0 : value;
}
