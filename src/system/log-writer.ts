/**
 * Writes log lines to one file descriptor without ever making the event loop wait for it.
 * Lines queue in memory up to a bound and are written in batches by asynchronous writes,
 * which run off the event loop: a full disk, a slow NFS mount or a stderr pipe nobody reads
 * stalls only the log, never routing. What does not fit is dropped and counted, and the
 * count is written as soon as lines get through again, so a reader knows lines are missing.
 */
import { write } from "node:fs";

/**
 * Bytes of lines that may wait for a destination before new lines are dropped: several
 * seconds of a busy debug log, and small beside bamboo's memory. One batch of up to the
 * same size may be in flight besides.
 */
export const MAX_QUEUED_BYTES = 1024 * 1024;
/** Wait before writing again to a non-blocking descriptor that said it was full. */
const FULL_RETRY_MS = 10;

export interface LogWriterOptions {
  readonly fd: number;
  readonly maxQueuedBytes?: number;
  /** Told once when writes start failing, and not again until one succeeds. */
  readonly onFailure: (error: Error) => void;
  /** The line to write ahead of the next ones that get through, saying `count` lines were lost. */
  readonly droppedNotice: (count: number) => string;
}

export class LogWriter {
  readonly #options: LogWriterOptions;
  readonly #maxQueuedBytes: number;
  #fd: number;
  #pendingFd: { readonly fd: number; readonly resolve: (old: number) => void } | null = null;
  #queue: string[] = [];
  #queuedBytes = 0;
  #dropped = 0;
  #failing = false;
  #busy = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(options: LogWriterOptions) {
    this.#options = options;
    this.#fd = options.fd;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
  }

  /** Queues one line (without its newline); drops it when the queue is full. */
  write(line: string): void {
    const bytes = Buffer.byteLength(line) + 1;
    if (this.#queuedBytes + bytes > this.#maxQueuedBytes) {
      this.#dropped += 1;
      return;
    }
    this.#queue.push(line);
    this.#queuedBytes += bytes;
    this.#start();
  }

  /**
   * Writes to `fd` from the next batch on, and resolves with the descriptor written so far
   * once no write uses it any more, for the caller to close. One replacement at a time.
   */
  replaceFd(fd: number): Promise<number> {
    if (this.#pendingFd !== null) throw new Error("a descriptor replacement is already waiting");
    return new Promise((resolve) => {
      this.#pendingFd = { fd, resolve };
      if (!this.#busy) this.#switchFd();
    });
  }

  /** Resolves when everything queued so far has been written (or dropped), or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    try {
      // A batch that ends may have started the next one: wait again until nothing runs.
      while (this.#busy && performance.now() < deadline) await Promise.race([this.#idle, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  #start(): void {
    if (this.#busy) return;
    this.#busy = true;
    this.#idle = this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      // Lost lines are announced with the next batch that gets through, or on their own once
      // the destination works again; while it fails, only new lines try it again.
      while (this.#queue.length > 0 || (this.#dropped > 0 && !this.#failing)) {
        this.#switchFd();
        const lines = this.#queue;
        const dropped = this.#dropped;
        this.#queue = [];
        this.#queuedBytes = 0;
        this.#dropped = 0;
        const text = (dropped > 0 ? [this.#options.droppedNotice(dropped), ...lines] : lines).join("\n") + "\n";
        try {
          await this.#writeAll(Buffer.from(text));
          this.#failing = false;
        } catch (error) {
          this.#dropped += dropped + lines.length;
          if (!this.#failing) {
            this.#failing = true;
            this.#options.onFailure(error instanceof Error ? error : new Error(String(error)));
          }
        }
      }
    } finally {
      this.#switchFd();
      this.#busy = false;
    }
  }

  async #writeAll(buffer: Buffer): Promise<void> {
    let offset = 0;
    while (offset < buffer.length) {
      try {
        offset += await writeOnce(this.#fd, buffer, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
        await Bun.sleep(FULL_RETRY_MS);
      }
    }
  }

  #switchFd(): void {
    const pending = this.#pendingFd;
    if (pending === null) return;
    this.#pendingFd = null;
    const old = this.#fd;
    this.#fd = pending.fd;
    pending.resolve(old);
  }
}

function writeOnce(fd: number, buffer: Buffer, offset: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, buffer, offset, buffer.length - offset, null, (error, written) => (error ? reject(error) : resolve(written))));
}
