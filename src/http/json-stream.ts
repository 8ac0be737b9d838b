import { edenGC } from "bun:jsc";

/**
 * Bytes gathered before a chunk is handed to the connection. Whatever chunk is in flight when
 * a collection comes outlives the young generation and waits for a full one: streaming 27 MB
 * of JSON raised RSS by 17-19 MiB with 64 KB chunks, 13-15 with 16 KB, and took no longer.
 */
const CHUNK_CHARS = 16 * 1024;

/**
 * Every item's text, the chunks and their bytes are garbage as soon as they are sent, and the
 * collector lets it pile up in proportion to the heap: streaming `/api/state` at 10,000 apps
 * still raised bamboo's RSS from 148 to 200 MiB. Young objects are collected after each this
 * much text, for well under a millisecond each time.
 */
const COLLECT_EVERY_CHARS = 1024 * 1024;

/**
 * A JSON answer written as it is read, the same text JSON.stringify gives (no whitespace).
 * Objects and arrays down to `depth` are walked and everything below is stringified one
 * item at a time: `/api/state` at 10,000 apps is 20 MB of JSON, which as one string raised
 * bamboo's memory peak by ~30 MB while the client read it.
 */
export function jsonStreamResponse(value: unknown, depth = 2): Response {
  const nextPiece = jsonPieces(value, depth);
  const encoder = new TextEncoder();
  let sinceCollect = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      let chunk = "";
      while (chunk.length < CHUNK_CHARS) {
        const piece = nextPiece();
        if (piece === undefined) {
          if (chunk !== "") controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += piece;
      }
      controller.enqueue(encoder.encode(chunk));
      sinceCollect += chunk.length;
      if (sinceCollect >= COLLECT_EVERY_CHARS) {
        sinceCollect = 0;
        edenGC();
      }
    },
  });
  return new Response(body, { headers: { "content-type": "application/json; charset=utf-8" } });
}

/** One array or object being written: which of its items comes next. */
interface OpenLevel {
  readonly value: object;
  /** The object's own keys, in JSON.stringify's order; null for an array. */
  readonly keys: readonly string[] | null;
  /** The depth its items are written at. */
  readonly depth: number;
  next: number;
  /** Whether an item was written yet: the object's skipped entries take no comma. */
  written: boolean;
}

/**
 * The JSON text of `value` in pieces, one per call, then undefined; below `depth` each value
 * is one JSON.stringify. An explicit stack rather than a generator: with a generator object
 * per item and an entry pair per key of a 10,000-key object, bamboo's peak while streaming
 * `/api/state` at 10,000 apps was 3-5 MiB higher.
 */
export function jsonPieces(value: unknown, depth: number): () => string | undefined {
  const open: OpenLevel[] = [];
  let started = false;
  /** All of `item` when it is written whole, else its opening bracket, its level pushed. */
  const begin = (raw: unknown, itemDepth: number): string => {
    // Called here rather than by JSON.stringify, whose fast path skips objects with a toJSON:
    // `/api/state`'s 10,000 apps (template-data.ts) took 2.5 times as long to write.
    const item = raw !== null && typeof raw === "object" && typeof (raw as { toJSON?: unknown }).toJSON === "function" ? (raw as { toJSON(): unknown }).toJSON() : raw;
    if (itemDepth <= 0 || item === null || typeof item !== "object") return JSON.stringify(item) ?? "null";
    const array = Array.isArray(item);
    open.push({ value: item, keys: array ? null : Object.keys(item), depth: itemDepth - 1, next: 0, written: false });
    return array ? "[" : "{";
  };
  return () => {
    if (!started) {
      started = true;
      return begin(value, depth);
    }
    for (;;) {
      const level = open.at(-1);
      if (level === undefined) return undefined;
      if (level.keys === null) {
        const items = level.value as readonly unknown[];
        if (level.next === items.length) {
          open.pop();
          return "]";
        }
        const index = level.next++;
        // As JSON.stringify writes them in arrays.
        const item = items[index];
        return (index > 0 ? "," : "") + begin(item === undefined || typeof item === "function" || typeof item === "symbol" ? null : item, level.depth);
      }
      if (level.next === level.keys.length) {
        open.pop();
        return "}";
      }
      const key = level.keys[level.next++]!;
      const item = (level.value as Readonly<Record<string, unknown>>)[key];
      // As JSON.stringify leaves them out of objects.
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
      const separator = level.written ? "," : "";
      level.written = true;
      return `${separator}${JSON.stringify(key)}:${begin(item, level.depth)}`;
    }
  };
}
