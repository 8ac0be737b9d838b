/** Parsers for setting values. Each returns the value or a sentence saying what is expected. */

export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = (expected: string): Parsed<never> => ({ ok: false, expected });

/** A listen address: `:port`, `host:port` or `[ipv6]:port`. */
export interface BindAddress {
  /** "" means every IPv4 address. */
  readonly host: string;
  readonly port: number;
}

export function parseBool(raw: string): Parsed<boolean> {
  // Go's strconv.ParseBool, which Bamboo used, plus yes/no.
  if (/^(1|t|true|yes|on)$/i.test(raw)) return ok(true);
  if (/^(0|f|false|no|off)$/i.test(raw)) return ok(false);
  return no("true or false");
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds from `250ms`, `30s`, `5m`, `1h`. */
export function parseDuration(raw: string): Parsed<number> {
  const match = /^(\d+)(ms|s|m|h)$/.exec(raw.trim());
  if (!match) return no("a duration such as 500ms, 30s, 5m or 1h");
  return ok(Number(match[1]) * DURATION_UNITS[match[2]!]!);
}

export function parsePort(raw: string): Parsed<number> {
  if (!/^\d{1,5}$/.test(raw)) return no("a port number from 1 to 65535");
  const port = Number(raw);
  return port >= 1 && port <= 65535 ? ok(port) : no("a port number from 1 to 65535");
}

export function parseBind(raw: string): Parsed<BindAddress> {
  const expected = "an address such as :8000, 127.0.0.1:8000 or [::1]:8000";
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d+)$/.exec(raw.trim());
  if (!match) return no(expected);
  const port = parsePort(match[3]!);
  if (!port.ok) return no(expected);
  return ok({ host: match[1] ?? match[2] ?? "", port: port.value });
}

/** Comma-separated http(s) URLs, trailing slashes removed. */
export function parseUrls(raw: string): Parsed<string[]> {
  const expected = "one or more http:// or https:// URLs, comma-separated";
  const urls = splitList(raw);
  if (urls.length === 0) return no(expected);
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return no(`${expected} ('${url}' is not a URL)`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return no(`${expected} ('${url}' is not http or https)`);
  }
  return ok(urls.map((url) => url.replace(/\/+$/, "")));
}

export function splitList(raw: string): string[] {
  return raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** A string free of control characters: these values end up in generated config files. */
export function parseString(raw: string): Parsed<string> {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(raw) ? no("text without newlines or control characters") : ok(raw);
}
