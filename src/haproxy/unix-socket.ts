import { createConnection } from "node:net";
import { SocketError } from "./errors.ts";

/** Options of {@link sendOverUnixSocket}. */
export interface UnixSocketOptions {
  /** Whole exchange deadline: connect, send and read until HAProxy closes. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Sends one request over a UNIX stream socket and returns everything read until the peer
 * closes. The write side is half-closed right after sending: HAProxy 2.6's master CLI keeps
 * a non-interactive connection open until the client shuts its side (seen on 2.6.12), so
 * without the half-close the read would only end on timeout.
 *
 * @throws SocketError when the socket cannot be reached or the exchange exceeds the deadline.
 */
export function sendOverUnixSocket(
  socketPath: string,
  request: string,
  options: UnixSocketOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = createConnection({ path: socketPath, allowHalfOpen: true });
    const finish = (error?: SocketError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const timer = setTimeout(
      () => finish(new SocketError(socketPath, `no complete reply within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("connect", () => socket.end(request.endsWith("\n") ? request : `${request}\n`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    socket.on("error", (cause: Error) => finish(new SocketError(socketPath, cause.message, { cause })));
  });
}
