/**
 * Errors raised at the HAProxy boundary. Each one carries what HAProxy itself said, so a
 * user reads HAProxy's reason rather than a paraphrase of it.
 */

/** Something about the HAProxy process or its sockets went wrong. */
export class HAProxyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HAProxyError";
  }
}

/** A UNIX socket of HAProxy (master CLI or stats socket) could not be reached or timed out. */
export class SocketError extends HAProxyError {
  constructor(
    readonly socketPath: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${socketPath}: ${message}`, options);
    this.name = "SocketError";
  }
}

/** HAProxy's runtime API answered a command with one of its error replies. */
export class RuntimeApiError extends HAProxyError {
  readonly command: string;
  readonly reply: string;

  constructor(details: { command: string; reply: string }) {
    super(`HAProxy refused '${details.command}': ${details.reply.trim()}`);
    this.name = "RuntimeApiError";
    this.command = details.command;
    this.reply = details.reply;
  }
}
