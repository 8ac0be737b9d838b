/**
 * Reads the body of a Marathon answer as a stream, with a byte limit: an oversized answer is
 * refused once the limit is passed (or at once, from its Content-Length), and a JSON answer is
 * checked byte by byte as it arrives, so garbage is refused at its first invalid byte instead
 * of after buffering it. Only a complete, checked document reaches JSON.parse, from one buffer.
 */
import { JsonSyntaxChecker } from "./json-syntax.ts";
import { errorMessage } from "../system/error-message.ts";

/** Marathon's app JSON nests about ten deep; anything far deeper is not Marathon. */
const MAX_DEPTH = 64;
/** Enough of an error answer (Marathon's `{"message": ...}`, a proxy's page) for its message; the rest is not read. */
const ERROR_BODY_BYTES = 64 * 1024;
/** A refused answer that was read this far is collected at once (see {@link release}). */
const COLLECT_AFTER_BYTES = 8 * 1024 * 1024;

export type JsonBody =
  | { readonly kind: "json"; readonly value: unknown }
  /** More than the limit: `announced` is the Content-Length when that alone refused it, else null. */
  | { readonly kind: "too-large"; readonly announced: number | null }
  /** Not one JSON object: `detail` says where and why it stopped being one. */
  | { readonly kind: "not-json"; readonly detail: string };

/**
 * A JSON object answer, read up to `limitBytes`. Rejects (with the fetch's own error) when the
 * read fails or is aborted: the caller's timeout covers the body as well as the headers.
 */
export async function readJsonBody(response: Response, limitBytes: number): Promise<JsonBody> {
  const read = await readCheckedText(response, limitBytes);
  if (typeof read !== "string") return read;
  try {
    return { kind: "json", value: JSON.parse(read) };
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
 * garbage once it returns: the caller holds the text alone while JSON.parse runs.
 */
async function readCheckedText(response: Response, limitBytes: number): Promise<string | Exclude<JsonBody, { kind: "json" }>> {
  const announced = announcedLength(response);
  if (announced !== null && announced > limitBytes) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "too-large", announced };
  }
  const checker = new JsonSyntaxChecker({ maxDepth: MAX_DEPTH, objectOnly: true });
  const sink = new ByteSink();
  let invalid: string | null = null;
  const end = await readChunks(response, limitBytes, (chunk) => {
    const error = checker.feed(chunk);
    if (error !== null) {
      invalid = error.message;
      return false;
    }
    sink.push(chunk);
    return true;
  });
  const error = end === "limit" ? null : (invalid ?? checker.end()?.message ?? null);
  if (end === "limit" || error !== null) {
    release(sink);
    return error === null ? { kind: "too-large", announced: null } : { kind: "not-json", detail: `Marathon's answer is not JSON: ${error}` };
  }
  return new TextDecoder().decode(sink.take());
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
 */
class ByteSink {
  #chunks: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#length += chunk.byteLength;
  }

  clear(): void {
    this.#chunks = [];
    this.#length = 0;
  }

  /** The bytes as one buffer; the sink lets go of its chunks. */
  take(): Uint8Array {
    const buffer = new Uint8Array(this.#length);
    let at = 0;
    for (const chunk of this.#chunks) {
      buffer.set(chunk, at);
      at += chunk.byteLength;
    }
    this.clear();
    return buffer;
  }
}
