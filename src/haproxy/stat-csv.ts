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

/**
 * The rows of a `show stat` answer, in order.
 * @throws StatCsvError when the answer has no header naming the needed columns (an error reply).
 */
export async function parseStatCsv(text: string, slice = new TimeSlice()): Promise<StatRow[]> {
  const rows: StatRow[] = [];
  const reader = new StatRowReader((row) => void rows.push(row), slice);
  await reader.read(text);
  reader.end();
  return rows;
}

/** Where the needed columns are, from the header line. */
interface Columns {
  readonly at: Record<Column, number>;
  /** Which fields are needed, up to the last needed one: a line is scanned no further. */
  readonly wanted: readonly boolean[];
  readonly fields: string[];
}

/**
 * Reads a `show stat` answer in the pieces it arrives in (see unix-socket.ts), handing each
 * complete line's row to `onRow`: at 10,000 backends the answer is 2.4 MB, and held whole
 * (its bytes, joined, then decoded) it was about 7 MB of garbage every sample.
 */
export class StatRowReader {
  /** The start of a line whose newline has not come yet. */
  #rest = "";
  #columns: Columns | null = null;

  constructor(
    private readonly onRow: (row: StatRow) => void,
    private readonly slice = new TimeSlice(),
  ) {}

  /**
   * Reads the lines `text` completes; a promise only when the time slice ran out on the way,
   * and then the next piece waits for it. @throws StatCsvError when the first line is not the header.
   */
  read(text: string): Promise<void> | void {
    return this.#readFrom(this.#rest + text, 0);
  }

  #readFrom(lines: string, start: number): Promise<void> | void {
    for (let end = lines.indexOf("\n", start); end >= 0; end = lines.indexOf("\n", start)) {
      this.#line(lines, start, end);
      start = end + 1;
      if (this.slice.due()) {
        const from = start;
        return this.slice.pause().then(() => this.#readFrom(lines, from));
      }
    }
    this.#rest = lines.slice(start);
  }

  /** Reads the last line, which needs no newline. @throws StatCsvError when the answer had no header. */
  end(): void {
    const rest = this.#rest;
    this.#rest = "";
    if (rest !== "" || this.#columns === null) this.#line(rest, 0, rest.length);
  }

  #line(text: string, start: number, end: number): void {
    if (this.#columns === null) {
      this.#columns = columnsOf(text.slice(start, end));
      return;
    }
    const { at, wanted, fields } = this.#columns;
    if (end > start && scanFields(text, start, end, fields, wanted)) {
      const row = rowOf(fields, at);
      if (row) this.onRow(row);
    }
  }
}

function columnsOf(header: string): Columns {
  if (!header.startsWith("# ")) throw new StatCsvError(`show stat answered without its header: ${JSON.stringify(header.slice(0, 120))}`);
  const names = header.slice(2).split(",");
  const at = {} as Record<Column, number>;
  for (const column of [...REQUIRED, ...OPTIONAL]) at[column] = names.indexOf(column);
  const missing = REQUIRED.filter((column) => at[column] < 0);
  if (missing.length > 0) throw new StatCsvError(`show stat has no column ${missing.join(", ")}`);
  const wanted = new Array<boolean>(Math.max(...Object.values(at)) + 1).fill(false);
  for (const index of Object.values(at)) if (index >= 0) wanted[index] = true;
  return { at, wanted, fields: new Array<string>(wanted.length) };
}

/**
 * Fills the `wanted` entries of `fields` from the line, scanning it up to its last wanted
 * field; false when the line has fewer fields. Only wanted fields are cut out: a 2.6 line
 * has 75 fields before the last wanted one, and cutting every one was 750,000 strings of
 * garbage per dump of 10,000 backends.
 */
function scanFields(text: string, start: number, end: number, fields: string[], wanted: readonly boolean[]): boolean {
  const last = wanted.length - 1;
  let from = start;
  for (let i = 0; i <= last; i++) {
    let comma = text.indexOf(",", from);
    if (comma < 0 || comma > end) {
      if (i !== last) return false;
      comma = end;
    }
    if (wanted[i]) fields[i] = text.slice(from, comma);
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
