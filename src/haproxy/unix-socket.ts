import { createConnection } from "node:net";
import { SocketError } from "./errors.ts";

/** Options of {@link sendOverUnixSocket} and {@link streamOverUnixSocket}. */
export interface UnixSocketOptions {
  /** Whole exchange deadline: connect, send and read until HAProxy closes. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Sends one request over a UNIX stream socket and returns everything read until the peer
 * closes; see {@link streamOverUnixSocket}.
 *
 * @throws SocketError when the socket cannot be reached or the exchange exceeds the deadline.
 */
export async function sendOverUnixSocket(socketPath: string, request: string, options: UnixSocketOptions = {}): Promise<string> {
  const parts: string[] = [];
  await streamOverUnixSocket(socketPath, request, (text) => void parts.push(text), options);
  return parts.join("");
}

/**
 * Sends one request over a UNIX stream socket and hands the reply to `onText` as it arrives,
 * decoded, until the peer closes: a reply of megabytes (`show stat` at 10,000 backends) is
 * read without holding it whole. When `onText` returns a promise, reading waits for it; a
 * piece taken at once costs no pause (under load each pause and resume was a turn of the
 * event loop, which made a sample look costlier than it was).
 *
 * The write side is half-closed right after sending: HAProxy 2.6's master CLI keeps a
 * non-interactive connection open until the client shuts its side (seen on 2.6.12), so
 * without the half-close the read would only end on timeout.
 *
 * @throws SocketError when the socket cannot be reached or the exchange exceeds the deadline;
 *   whatever `onText` throws, as it threw it (the rest of the reply is then not read).
 */
export function streamOverUnixSocket(
  socketPath: string,
  request: string,
  onText: (text: string) => void | Promise<void>,
  options: UnixSocketOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const decoder = new TextDecoder();
    let settled = false;
    let ending = false;
    /** The reader's work on what was handed over so far, while it has some: reading waits for it. */
    let pending: Promise<void> | null = null;
    const socket = createConnection({ path: socketPath, allowHalfOpen: true });
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const hand = (text: string): void => {
      if (text === "" || settled) return;
      if (pending === null) {
        let result: void | Promise<void>;
        try {
          result = onText(text);
        } catch (error) {
          finish(error);
          return;
        }
        // Taken at once, as nearly every piece is: reading goes on without a pause.
        if (result === undefined) return;
        pending = result;
      } else pending = pending.then(() => (settled ? undefined : onText(text)));
      socket.pause();
      const waited = pending;
      waited.then(
        () => {
          if (pending !== waited) return;
          pending = null;
          if (!settled && !ending) socket.resume();
        },
        (error: unknown) => finish(error),
      );
    };
    const end = (): void => {
      if (ending) return;
      ending = true;
      hand(decoder.decode());
      (pending ?? Promise.resolve()).then(
        () => finish(),
        (error: unknown) => finish(error),
      );
    };
    const timer = setTimeout(() => finish(new SocketError(socketPath, `no complete reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", () => socket.end(request.endsWith("\n") ? request : `${request}\n`));
    socket.on("data", (chunk: Buffer) => hand(decoder.decode(chunk, { stream: true })));
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", (cause: Error) => finish(new SocketError(socketPath, cause.message, { cause })));
  });
}
