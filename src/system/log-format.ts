/**
 * How one log record becomes one line: `text` for a person (time, level, message, then
 * key=value fields) or `json` for a log shipper (one object per line). Whatever the message
 * and fields hold, the result is exactly one line, and a JSON line always parses.
 */
import type { LogRecord } from "./log.ts";
import { FIELD_CHAR_BUDGET, plainValue, truncate, type PlainValue } from "./log-value.ts";

export const LOG_FORMATS = ["auto", "text", "json"] as const;
/** BAMBOO_LOG_FORMAT as configured. */
export type LogFormatSetting = (typeof LOG_FORMATS)[number];
/** What a destination is written in, once `auto` is decided. */
export type LogFormat = Exclude<LogFormatSetting, "auto">;

/** Field keys a JSON line uses for itself; a field of the same name is written as `field.<key>`. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(["time", "level", "message"]);

/** `auto` means text for a person at a terminal and JSON lines for anything that collects them. */
export function resolveLogFormat(setting: LogFormatSetting, isTerminal: boolean): LogFormat {
  if (setting !== "auto") return setting;
  return isTerminal ? "text" : "json";
}

export function formatRecord(format: LogFormat, record: LogRecord): string {
  return format === "json" ? formatJson(record) : formatText(record);
}

/** `{"time":"…Z","level":"info","message":"…",<fields>}`: fields sit beside the three, so shippers index them as they are. */
export function formatJson(record: LogRecord): string {
  // No prototype: a field named "__proto__" is written like any other.
  const line: Record<string, PlainValue> = Object.create(null);
  line.time = record.time.toISOString();
  line.level = record.level;
  line.message = truncate(record.message, FIELD_CHAR_BUDGET);
  for (const [key, value] of Object.entries(record.fields)) {
    if (value === undefined) continue;
    line[RESERVED_KEYS.has(key) ? `field.${key}` : key] = plainValue(value);
  }
  return escapeLineBreakers(JSON.stringify(line));
}

/** `2026-01-02T03:04:05.678Z INFO  message key=value key="a value"`. */
export function formatText(record: LogRecord): string {
  let line = `${record.time.toISOString()} ${record.level.toUpperCase().padEnd(5)} ${escapeControls(truncate(record.message, FIELD_CHAR_BUDGET))}`;
  for (const [key, value] of Object.entries(record.fields)) {
    if (value === undefined) continue;
    line += ` ${textKey(key)}=${textValue(plainValue(value))}`;
  }
  return line;
}

// Characters that end a line for some reader: C0 and C1 controls (NEL included), DEL, and
// Unicode's line and paragraph separators.
const LINE_BREAKERS = /[\p{Cc}\u2028\u2029]/u;
const LINE_BREAKERS_GLOBAL = /[\p{Cc}\u2028\u2029]/gu;
/** The ones JSON.stringify leaves as they are: it escapes only U+0000 to U+001F. */
const UNESCAPED_BY_JSON = /[\u007f-\u009f\u2028\u2029]/g;

/** A value is quoted when it would otherwise be misread: empty, spaces, quotes, `=`, or a line breaker. */
function textValue(value: PlainValue): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const needsQuotes = text === "" || /[\s"=]/.test(text) || LINE_BREAKERS.test(text);
  return needsQuotes ? escapeLineBreakers(JSON.stringify(text)) : text;
}

/** Keys are bamboo's own words, but one with a space or `=` would make the line unreadable. */
function textKey(key: string): string {
  const safe = truncate(key, 100).replace(/[^\w.-]/g, "_");
  return safe === "" ? "_" : safe;
}

/** Escapes in JSON text the line breakers JSON.stringify leaves raw; they can only sit inside strings there. */
function escapeLineBreakers(json: string): string {
  return json.replace(UNESCAPED_BY_JSON, unicodeEscape);
}

/** For the unquoted message of a text line: line breakers become visible escapes. */
function escapeControls(text: string): string {
  return text.replace(LINE_BREAKERS_GLOBAL, (char) => (char === "\n" ? "\\n" : char === "\r" ? "\\r" : char === "\t" ? "\\t" : unicodeEscape(char)));
}

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}
