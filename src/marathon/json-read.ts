/**
 * Small readers for untrusted JSON. Marathon's payloads vary across versions, so every
 * field is checked where it is read; a wrong type becomes a {@link ShapeError} that names
 * the field instead of a TypeError deep inside the normaliser.
 */

/** A JSON object whose fields are not yet checked. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** A field had a type or value the normaliser cannot use. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object at `key`, or null when absent or null; anything else is a shape error. */
export function optObject(obj: JsonObject, key: string, where: string): JsonObject | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new ShapeError(`${where}.${key} should be an object`);
  return value;
}

/** The array at `key`; absent or null reads as empty because Marathon omits empty lists. */
export function optArray(obj: JsonObject, key: string, where: string): readonly unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ShapeError(`${where}.${key} should be an array`);
  return value;
}

/** The array at `key` when present (even empty), else null: lets callers tell "absent" from "empty". */
export function arrayOrNull(obj: JsonObject, key: string, where: string): readonly unknown[] | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new ShapeError(`${where}.${key} should be an array`);
  return value;
}

export function optString(obj: JsonObject, key: string, fallback: string, where: string): string {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "string") throw new ShapeError(`${where}.${key} should be a string`);
  return value;
}

export function optNumber(obj: JsonObject, key: string, fallback: number, where: string): number {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) throw new ShapeError(`${where}.${key} should be a number`);
  return value;
}

/** A TCP port; 0 is allowed because Marathon uses it for "assign one for me". */
export function toPort(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ShapeError(`${where} should be a port number (0-65535), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The map of no entries, shared: most apps have no env or labels, and 20,000 empty objects cost about 1 MB. */
const NO_STRINGS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * String values of a map. Non-string values are dropped rather than failing the app:
 * Marathon env entries may be secret references (`{"secret": "..."}`), which routing never needs.
 */
export function stringMap(obj: JsonObject, key: string, where: string): Readonly<Record<string, string>> {
  const value = optObject(obj, key, where);
  if (value === null) return NO_STRINGS;
  const names = Object.keys(value).sort();
  if (names.length === 0) return NO_STRINGS;
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = value[name];
    if (typeof v === "string") out[name] = v;
  }
  return out;
}

/** Marathon ids are absolute paths; ancient versions and app definitions may omit the slash. */
export function absoluteId(id: string): string {
  return id.startsWith("/") ? id : `/${id}`;
}
