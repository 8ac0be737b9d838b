/**
 * Turns whatever a caller put in a log field into plain JSON data of bounded size, so that
 * no field value can break a line, throw while it is written, or grow a line without end:
 * errors become their messages, bigints their digits, cycles a marker, and long strings and
 * large collections are cut with a marker saying how much was left out.
 */

export type PlainValue = string | number | boolean | null | readonly PlainValue[] | { readonly [key: string]: PlainValue };

/**
 * About how many characters (UTF-16 units, before escaping) one field value may take:
 * enough for an HAProxy alert or a config excerpt, small enough that a value from outside
 * (an app's env, an HTTP body in an error) cannot turn one log line into megabytes.
 */
export const FIELD_CHAR_BUDGET = 8192;

/** Nested data deeper than this is cut: nothing bamboo logs on purpose goes that deep. */
const MAX_DEPTH = 8;
/** Causes followed from an error: enough for "write failed (cause: ENOSPC)". */
const MAX_CAUSES = 3;
/** What a value, key or separator costs at least, so that a million empty items still use up the budget. */
const MIN_COST = 2;

interface Budget {
  left: number;
}

/** `value` as plain JSON data, at most about `budget` characters long once serialised. Never throws. */
export function plainValue(value: unknown, budget: number = FIELD_CHAR_BUDGET): PlainValue {
  try {
    return convert(value, { left: budget }, [], 0);
  } catch {
    // A throwing getter, toJSON or proxy trap: the line is still written, without this value.
    return "[unreadable value]";
  }
}

/** `text` cut to `max` characters, with a marker saying how many more there were. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  // Half of a surrogate pair is no character at all; cut before the pair instead.
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return `${text.slice(0, end)}…[${text.length - end} more chars]`;
}

/** An error's message, followed by its causes' messages where the message does not already say them. */
export function errorText(error: Error): string {
  let text = error.message === "" ? error.name : error.message;
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined && cause !== null && depth < MAX_CAUSES; depth++) {
    const causeText = cause instanceof Error ? cause.message : typeof cause === "object" ? "" : String(cause);
    if (causeText !== "" && !text.includes(causeText)) text += ` (cause: ${causeText})`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

function convert(value: unknown, budget: Budget, ancestors: object[], depth: number): PlainValue {
  switch (typeof value) {
    case "string":
      return cut(value, budget);
    case "number":
      budget.left -= MIN_COST + 6;
      // JSON has no NaN or Infinity; their names say more than the null JSON.stringify writes.
      return Number.isFinite(value) ? value : String(value);
    case "boolean":
      budget.left -= MIN_COST + 3;
      return value;
    case "bigint":
      // Digits, as a string: a JSON number would lose precision beyond 2^53.
      return cut(value.toString(), budget);
    case "symbol":
      return cut(value.toString(), budget);
    case "function":
      return cut(`[function ${value.name || "anonymous"}]`, budget);
    case "undefined":
      budget.left -= MIN_COST + 2;
      return null;
  }
  if (value === null) {
    budget.left -= MIN_COST + 2;
    return null;
  }
  const object = value as object;
  if (object instanceof Error) return cut(errorText(object), budget);
  if (object instanceof Date) return cut(Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString(), budget);
  if (object instanceof ArrayBuffer || ArrayBuffer.isView(object)) return cut(`[${object.byteLength} bytes]`, budget);
  if (ancestors.includes(object)) return cut("[circular]", budget);
  if (depth >= MAX_DEPTH) return cut("[nested too deep]", budget);
  ancestors.push(object);
  try {
    if (Array.isArray(object)) return convertItems(object, object.length, budget, ancestors, depth);
    if (object instanceof Set) return convertItems(object, object.size, budget, ancestors, depth);
    if (object instanceof Map) return convertEntries(object.entries(), object.size, budget, ancestors, depth);
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    // URL, Buffer-likes and classes that say how they serialise: as JSON.stringify would.
    if (typeof toJSON === "function") return convert(toJSON.call(object), budget, ancestors, depth + 1);
    const keys = Object.keys(object);
    return convertEntries(ownEntries(object as Record<string, unknown>, keys), keys.length, budget, ancestors, depth);
  } finally {
    ancestors.pop();
  }
}

function convertItems(items: Iterable<unknown>, size: number, budget: Budget, ancestors: object[], depth: number): PlainValue[] {
  const out: PlainValue[] = [];
  for (const item of items) {
    if (budget.left <= 0) {
      out.push(`[${size - out.length} more items]`);
      break;
    }
    budget.left -= MIN_COST;
    out.push(convert(item, budget, ancestors, depth + 1));
  }
  return out;
}

function convertEntries(entries: Iterable<readonly [unknown, unknown]>, size: number, budget: Budget, ancestors: object[], depth: number): Record<string, PlainValue> {
  // No prototype: a key such as "__proto__" stays an ordinary key and reaches the output.
  const out: Record<string, PlainValue> = Object.create(null);
  let seen = 0;
  for (const [rawKey, item] of entries) {
    if (budget.left <= 0) {
      out["…"] = `[${size - seen} more keys]`;
      break;
    }
    seen += 1;
    // Skipped as JSON.stringify skips it: an absent optional field is no information.
    if (item === undefined) continue;
    const key = cut(typeof rawKey === "string" ? rawKey : String(rawKey), budget);
    budget.left -= MIN_COST;
    out[key] = convert(item, budget, ancestors, depth + 1);
  }
  return out;
}

/** Lazily, so that the values (and getters) past the budget are never read. */
function* ownEntries(object: Record<string, unknown>, keys: readonly string[]): Generator<readonly [string, unknown]> {
  for (const key of keys) yield [key, object[key]];
}

function cut(text: string, budget: Budget): string {
  const room = Math.max(0, budget.left);
  budget.left -= Math.min(text.length, room) + MIN_COST;
  return truncate(text, room);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
