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
  const source = jsonPieces(value, depth);
  const encoder = new TextEncoder();
  let sinceCollect = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      let chunk = "";
      while (chunk.length < CHUNK_CHARS) {
        const next = source.next();
        if (next.done) {
          if (chunk !== "") controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += next.value;
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

/** The JSON text of `value` in pieces; below `depth` each value is one JSON.stringify. */
export function* jsonPieces(value: unknown, depth: number): Generator<string> {
  if (depth <= 0 || value === null || typeof value !== "object" || typeof (value as { toJSON?: unknown }).toJSON === "function") {
    yield JSON.stringify(value) ?? "null";
    return;
  }
  if (Array.isArray(value)) {
    yield "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ",";
      // As JSON.stringify writes them in arrays.
      const item: unknown = value[i];
      yield* jsonPieces(item === undefined || typeof item === "function" || typeof item === "symbol" ? null : item, depth - 1);
    }
    yield "]";
    return;
  }
  yield "{";
  let first = true;
  for (const [key, item] of Object.entries(value)) {
    // As JSON.stringify leaves them out of objects.
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    yield `${first ? "" : ","}${JSON.stringify(key)}:`;
    first = false;
    yield* jsonPieces(item, depth - 1);
  }
  yield "}";
}
