/** Parsers of the runtime API's text replies; pure, so they are tested on captured output. */

/** One server as `show servers state` reports it (format version 1, HAProxy 2.x). */
export interface ServerStateRow {
  readonly backendId: number;
  readonly backend: string;
  readonly serverId: number;
  readonly server: string;
  readonly addr: string;
  readonly port: number;
  /** 0 stopped, 1 starting, 2 running, 3 stopping. */
  readonly opState: number;
  /** Bit field of administrative flags; see {@link adminStateOf}. */
  readonly adminState: number;
  readonly weight: number;
  /** Every column by its header name, for what the typed fields leave out. */
  readonly fields: Readonly<Record<string, string>>;
}

/** Parses `show servers state`: a version line, a "# " header, then one line per server. */
export function parseServersState(text: string): ServerStateRow[] {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const header = lines.find((line) => line.startsWith("# "));
  if (!header) return [];
  const columns = header.slice(2).trim().split(/\s+/);
  const rows: ServerStateRow[] = [];
  for (const line of lines.slice(lines.indexOf(header) + 1)) {
    if (line.startsWith("#")) continue;
    const values = line.trim().split(/\s+/);
    const fields: Record<string, string> = {};
    columns.forEach((column, i) => {
      fields[column] = values[i] ?? "";
    });
    rows.push({
      backendId: Number(fields.be_id),
      backend: fields.be_name ?? "",
      serverId: Number(fields.srv_id),
      server: fields.srv_name ?? "",
      addr: fields.srv_addr ?? "",
      port: Number(fields.srv_port),
      opState: Number(fields.srv_op_state),
      adminState: Number(fields.srv_admin_state),
      weight: Number(fields.srv_uweight),
      fields,
    });
  }
  return rows;
}

// Flags of srv_admin_state (include/haproxy/server-t.h). Maintenance is HAProxy's own
// SRV_ADMF_MAINT mask: forced (0x01), inherited (0x02) and resolver-driven (0x20). 0x04
// (CMAINT) only records that the config said "disabled": it stays set after
// `set server ... state ready` although the server then takes traffic (seen on 2.6.12).
const MAINT_FLAGS = 0x01 | 0x02 | 0x20;
const DRAIN_FLAGS = 0x08 | 0x10;

/** Reads the administrative bit field of {@link ServerStateRow} as the state it was set to. */
export function adminStateOf(adminState: number): "ready" | "drain" | "maint" {
  if (adminState & MAINT_FLAGS) return "maint";
  if (adminState & DRAIN_FLAGS) return "drain";
  return "ready";
}

/** Parses `show info` ("Name: value" lines) into a record. */
export function parseShowInfo(text: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) info[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return info;
}

/** Parses `show map <map>`: one "<entry id> <key> <value>" line per row. */
export function parseShowMap(text: string): { key: string; value: string }[] {
  const rows: { key: string; value: string }[] = [];
  for (const line of text.split("\n")) {
    const match = /^0x[0-9a-f]+\s+(\S+)\s+(.*)$/i.exec(line.trim());
    if (match) rows.push({ key: match[1] ?? "", value: match[2] ?? "" });
  }
  return rows;
}
