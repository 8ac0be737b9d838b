/**
 * Reads the body of a Marathon answer as a stream, with a byte limit: an oversized answer is
 * refused once the limit is passed (or at once, from its Content-Length), and a JSON answer is
 * checked byte by byte as it arrives, so garbage is refused at its first invalid byte instead
 * of after buffering it. Only checked JSON reaches JSON.parse: the whole document from one
 * buffer, or, for a big list, each element on its own as soon as it is in (see {@link ElementSplit}).
 */
import { edenGC } from "bun:jsc";
import { JsonSyntaxChecker } from "./json-syntax.ts";
import { errorMessage } from "../system/error-message.ts";

/** Marathon's app JSON nests about ten deep; anything far deeper is not Marathon. */
const MAX_DEPTH = 64;
/** Enough of an error answer (Marathon's `{"message": ...}`, a proxy's page) for its message; the rest is not read. */
const ERROR_BODY_BYTES = 64 * 1024;
/** A refused answer that was read this far is collected at once (see {@link release}). */
const COLLECT_AFTER_BYTES = 8 * 1024 * 1024;
/**
 * Elements parsed one by one leave their parsed objects behind as garbage, a few times their
 * text in size. The collector lets that pile up in proportion to the heap it already has:
 * at 10,000 apps a full fetch grew bamboo's peak by about 40 MB. Collecting the young
 * objects after each this much element text keeps the pile small, for well under a
 * millisecond each time.
 */
const COLLECT_EVERY_ELEMENT_BYTES = 1024 * 1024;

export type JsonBody<T = never> =
  /** `elements`: the split array's elements, each as `split.element` made it; that array is empty in `value`. */
  | { readonly kind: "json"; readonly value: unknown; readonly elements: readonly T[] }
  /** More than the limit: `announced` is the Content-Length when that alone refused it, else null. */
  | { readonly kind: "too-large"; readonly announced: number | null }
  /** Not one JSON object: `detail` says where and why it stopped being one. */
  | { readonly kind: "not-json"; readonly detail: string };

/**
 * The array at `key` of the answer's top-level object is read element by element: each is
 * parsed and handed to `element` as soon as its bytes are in, and only what `element` makes
 * of it is kept. Marathon's app list at 10,000 apps is 7 MB of text; held as chunks, one
 * buffer, one string and the parsed objects at once it cost bamboo about 50 MB of peak memory
 * at every full fetch. Read one app at a time, neither the text nor its objects ever exist whole.
 */
export interface ElementSplit<T> {
  readonly key: string;
  readonly element: (value: unknown) => T;
}

/**
 * A JSON object answer, read up to `limitBytes`. Rejects (with the fetch's own error) when the
 * read fails or is aborted: the caller's timeout covers the body as well as the headers.
 * With `split`, elements are parsed as they come; a document that turns out not to be JSON
 * after all is refused all the same, with what was made of its elements.
 */
export async function readJsonBody<T = never>(response: Response, limitBytes: number, split?: ElementSplit<T>): Promise<JsonBody<T>> {
  const elements: T[] = [];
  const cut = split && { key: split.key, element: (text: string) => void elements.push(split.element(JSON.parse(text))) };
  const read = await readCheckedText(response, limitBytes, cut);
  if (typeof read !== "string") return read;
  try {
    return { kind: "json", value: JSON.parse(read), elements };
  } catch (error) {
    // The checker let it through, so this would be a checker bug: still refuse, never crash.
    return { kind: "not-json", detail: `Marathon's answer is not JSON: ${errorMessage(error)}` };
  }
}

/** The start of an error answer (at most 64 KiB), for its message: never the whole of a huge one. */
export async function readErrorText(response: Response): Promise<string> {
  const sink = new ByteSink();
  let room = ERROR_BODY_BYTES;
  await readChunks(response, Infinity, (chunk) => {
    sink.push(chunk.subarray(0, room));
    room -= Math.min(room, chunk.byteLength);
    return room > 0;
  });
  return new TextDecoder().decode(sink.take());
}

/**
 * The checked answer as text, or why it was refused. Its own function so that the bytes are
 * garbage once it returns: the caller holds the text alone while JSON.parse runs. With `cut`,
 * the elements of the array at `cut.key` are handed to `cut.element` as text as soon as each
 * is in, and left out of the text returned.
 */
async function readCheckedText(
  response: Response,
  limitBytes: number,
  cut?: { readonly key: string; readonly element: (text: string) => void },
): Promise<string | Exclude<JsonBody, { kind: "json" }>> {
  const announced = announcedLength(response);
  if (announced !== null && announced > limitBytes) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "too-large", announced };
  }
  const sink = new ByteSink();
  const decoder = new TextDecoder();
  let sinceCollect = 0;
  const elementsOf = cut && {
    key: cut.key,
    element: (start: number, end: number) => {
      cut.element(decoder.decode(sink.cut(start, end)));
      sinceCollect += end - start;
      if (sinceCollect < COLLECT_EVERY_ELEMENT_BYTES) return;
      sinceCollect = 0;
      edenGC();
    },
  };
  const checker = new JsonSyntaxChecker({ maxDepth: MAX_DEPTH, objectOnly: true, elementsOf });
  let invalid: string | null = null;
  const end = await readChunks(response, limitBytes, (chunk) => {
    // In the sink before it is checked: an element that ends in this chunk is cut out of it at once.
    sink.push(chunk);
    try {
      const error = checker.feed(chunk);
      if (error === null) return true;
      invalid = error.message;
    } catch (error) {
      // JSON.parse refusing an element the checker let through would be a checker bug: refuse, never crash.
      invalid = errorMessage(error);
    }
    return false;
  });
  const error = end === "limit" ? null : (invalid ?? checker.end()?.message ?? null);
  if (end === "limit" || error !== null) {
    release(sink);
    return error === null ? { kind: "too-large", announced: null } : { kind: "not-json", detail: `Marathon's answer is not JSON: ${error}` };
  }
  return decoder.decode(sink.take());
}

/**
 * Lets go of a refused answer's bytes and, when they were many, collects them now: the
 * collector frees them lazily otherwise, and the reconciler retries within a second. In the
 * benchmark (scripts/bench/marathon-garbage.ts) three refused 50 MB answers in a row stacked
 * up to 3.5x the steady RSS; collected at once, the peak stays under 1.8x.
 */
function release(sink: ByteSink): void {
  const large = sink.length > COLLECT_AFTER_BYTES;
  sink.clear();
  if (large) Bun.gc(true);
}

/**
 * Reads the body chunk by chunk until it ends ("end"), more than `limitBytes` arrived
 * ("limit"; that chunk is not handed over) or `take` returns false ("stopped"). Whatever is
 * left is cancelled, which closes the connection instead of draining it.
 */
async function readChunks(response: Response, limitBytes: number, take: (chunk: Uint8Array) => boolean): Promise<"end" | "limit" | "stopped"> {
  if (response.body === null) return "end";
  const reader = response.body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return "end";
      total += value.byteLength;
      if (total > limitBytes) {
        await reader.cancel().catch(() => undefined);
        return "limit";
      }
      if (!take(value)) {
        await reader.cancel().catch(() => undefined);
        return "stopped";
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Content-Length, when it is the size of the body as read: with a Content-Encoding it is the compressed size. */
function announcedLength(response: Response): number | null {
  const encoding = response.headers.get("content-encoding");
  if (encoding !== null && encoding !== "identity") return null;
  const length = Number(response.headers.get("content-length") ?? NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/**
 * Keeps chunks as fetch hands them over and copies them into one buffer of the exact size only
 * once the whole answer is in and checked. Copying each chunk as it comes into a buffer sized
 * from Content-Length was measured worse: that buffer is allocated before the first byte is
 * checked (50 MB for garbage refused at byte 0), and the copied chunks linger as garbage
 * beside it until the collector runs.
 *
 * Bytes are addressed by their offset in the answer. An element cut out (see {@link cut})
 * takes everything before it along, except what came before the first element: the chunks
 * held are then those of the element being read.
 */
class ByteSink {
  #chunks: Uint8Array[] = [];
  /** Offset of the first byte of the first chunk held. */
  #chunksAt = 0;
  /** Offset of the first byte still wanted (the ones before it in the first chunk are not). */
  #from = 0;
  /** Offset just past the last byte pushed. */
  #end = 0;
  /** The bytes before the first element cut out, kept as the start of the document. */
  #prefix: Uint8Array | null = null;

  /** Bytes held. */
  get length(): number {
    return (this.#prefix?.byteLength ?? 0) + this.#end - this.#from;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#end += chunk.byteLength;
  }

  clear(): void {
    this.#chunks = [];
    this.#chunksAt = this.#from = this.#end;
    this.#prefix = null;
  }

  /** Bytes [start, end), given; they and everything held before them but the prefix are let go. */
  cut(start: number, end: number): Uint8Array {
    this.#prefix ??= this.#copy(this.#from, start);
    const element = this.#copy(start, end);
    this.#from = end;
    while (this.#chunks.length > 0 && this.#chunksAt + this.#chunks[0]!.byteLength <= end) this.#chunksAt += this.#chunks.shift()!.byteLength;
    return element;
  }

  /** The bytes as one buffer (after the prefix, those after the last element cut); the sink lets go of its chunks. */
  take(): Uint8Array {
    const rest = this.#copy(this.#from, this.#end);
    const prefix = this.#prefix;
    this.clear();
    if (prefix === null) return rest;
    const buffer = new Uint8Array(prefix.byteLength + rest.byteLength);
    buffer.set(prefix);
    buffer.set(rest, prefix.byteLength);
    return buffer;
  }

  #copy(from: number, to: number): Uint8Array {
    const bytes = new Uint8Array(to - from);
    let at = this.#chunksAt;
    for (const chunk of this.#chunks) {
      const start = Math.max(from, at);
      const stop = Math.min(to, at + chunk.byteLength);
      if (start < stop) bytes.set(chunk.subarray(start - at, stop - at), start - from);
      at += chunk.byteLength;
      if (at >= to) break;
    }
    return bytes;
  }
}
