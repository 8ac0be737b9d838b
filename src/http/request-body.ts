import { HttpError } from "./errors.ts";

/** Routing rules are small; a larger body is a mistake or an attack, refused before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;
/** A body that trickles in holds a connection and a handler: it gets this long to arrive whole. */
export const BODY_TIMEOUT_MS = 10_000;

/** Reads a JSON body, refusing oversized, slow and malformed ones with 4xx. */
export async function readJsonBody(request: Request, timeoutMs = BODY_TIMEOUT_MS, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readTextBody(request, maxBytes, timeoutMs);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "the request body is not valid JSON");
  }
}

/** Reads a UTF-8 body of at most `maxBytes`, refusing oversized, slow and undecodable ones with 4xx. */
export async function readTextBody(request: Request, maxBytes: number, timeoutMs = BODY_TIMEOUT_MS): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new HttpError(413, `the request body is larger than ${maxBytes} bytes`);
  const bytes = await readBounded(request, timeoutMs, maxBytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "the request body is not valid UTF-8");
  }
}

async function readBounded(request: Request, timeoutMs: number, maxBytes: number): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(408, `the request body did not arrive within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw new HttpError(413, `the request body is larger than ${maxBytes} bytes`);
      chunks.push(value);
    }
  } catch (error) {
    void reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}
