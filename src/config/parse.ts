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

/** A duration, or "" / "off" for none (null). */
export function parseOptionalDuration(raw: string): Parsed<number | null> {
  if (raw.trim() === "" || /^off$/i.test(raw.trim())) return ok(null);
  const duration = parseDuration(raw);
  return duration.ok ? duration : no("a duration such as 30s, 5m or 1h, or off");
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3 };

/** Bytes from `1048576`, `512KiB`, `64MiB`, `1GiB` (or kB, MB, GB in powers of ten). */
export function parseSize(raw: string): Parsed<number> {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) return no("a size such as 512KiB, 64MiB or 1GiB");
  const bytes = Number(match[1]) * unit;
  return bytes >= 1024 && Number.isSafeInteger(bytes) ? ok(bytes) : no("a size of at least 1KiB, such as 512KiB, 64MiB or 1GiB");
}

/** A share from `50%` (or `50`), as a fraction: 1 to 100 percent. */
export function parsePercent(raw: string): Parsed<number> {
  const match = /^(\d{1,3})\s*%?$/.exec(raw.trim());
  const percent = match ? Number(match[1]) : NaN;
  return percent >= 1 && percent <= 100 ? ok(percent / 100) : no("a percentage from 1% to 100%");
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
