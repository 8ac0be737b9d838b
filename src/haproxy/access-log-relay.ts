import { write } from "node:fs";

/**
 * Carries HAProxy's access log lines from its stdout to where they go (bamboo's stdout or a
 * file), keeping HAProxy's own notices out. HAProxy 2.6 writes "Proxy http-in stopped
 * (cumulated conns ...)" to a proxy's log whenever an old worker ends after a reload: passed
 * on, it would break a stream of JSON lines, so it goes to bamboo's log instead.
 *
 * Bounded: it reads one chunk at a time and writes it before reading the next. When the
 * destination is slower than the traffic, the pipe fills and HAProxy, which writes its logs
 * without blocking, drops lines rather than slowing a request; bamboo never buffers them.
 * Chunks stay bytes: the usual one, request lines only, is written as read, so thousands of
 * lines a second make no garbage for bamboo's collector.
 */
export class AccessLogRelay {
  /** Set while writes fail: lines are being lost, and that was said once. */
  #failing = false;

  constructor(
    private readonly options: {
      /** Where lines go: a file descriptor bamboo opened for appending, or 1 for its stdout. */
      readonly fd: number;
      readonly notice: (line: string) => void;
      /** Told once when writes start failing (a full disk), with why, and with null once they work again. */
      readonly trouble: (reason: string | null) => void;
    },
  ) {}

  /** Relays one HAProxy master's stdout until it ends; each start of HAProxy brings a new one. */
  async relay(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial: Buffer = EMPTY;
    // HAProxy writes whole lines of at most 8 KiB (`len 8192`): a longer one is none of them,
    // and is dropped up to its end.
    let skipping = false;
    const reader = stream.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      let bytes = partial.length === 0 ? Buffer.from(chunk.value.buffer, chunk.value.byteOffset, chunk.value.byteLength) : Buffer.concat([partial, chunk.value]);
      if (skipping) {
        const newline = bytes.indexOf(NEWLINE);
        if (newline < 0) {
          partial = EMPTY;
          continue;
        }
        [bytes, skipping] = [bytes.subarray(newline + 1), false];
      }
      const end = bytes.lastIndexOf(NEWLINE) + 1;
      // The tail is copied: the chunk's memory is the stream's to reuse.
      if (bytes.length - end > MAX_LINE) [partial, skipping] = [EMPTY, true];
      else partial = Buffer.from(bytes.subarray(end));
      if (end > 0) await this.#write(this.#withoutNotices(bytes.subarray(0, end)));
    }
  }

  #withoutNotices(lines: Buffer): Buffer {
    const mayHoldNotice = NOTICE_STARTS.some((start) => lines.subarray(0, start.length).equals(start)) || NOTICE_NEEDLES.some((needle) => lines.includes(needle));
    if (!mayHoldNotice) return lines;
    const kept: string[] = [];
    for (const line of lines.toString("utf8").split("\n")) {
      if (line === "") continue;
      if (NOTICE.test(line)) this.options.notice(line);
      else kept.push(`${line}\n`);
    }
    return Buffer.from(kept.join(""));
  }

  #setFailing(reason: string | null): void {
    if ((reason !== null) === this.#failing) return;
    this.#failing = reason !== null;
    this.options.trouble(reason);
  }

  #write(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const next = (offset: number) => {
        write(this.options.fd, bytes, offset, bytes.length - offset, null, (error, written) => {
          // A destination that fails (a full disk) loses these lines; the next chunk tries again.
          if (error) this.#setFailing(error.message);
          else if (offset + written < bytes.length) return next(offset + written);
          else this.#setFailing(null);
          resolve();
        });
      };
      next(0);
    });
  }
}

/** HAProxy's lines are at most 8 KiB (`len 8192` in the template); twice that is surely none. */
const MAX_LINE = 16 * 1024;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

/** What HAProxy writes to a proxy's log besides requests: proxies stopping, pausing, resuming. */
const NOTICE = /^(Proxy \S+ (stopped|started|paused|resumed)|Stopping (frontend|backend|proxy) )/;
/** The starts of those lines, looked for in the bytes before any line is decoded. */
const NOTICE_STARTS = ["Proxy ", "Stopping "].map((start) => Buffer.from(start));
const NOTICE_NEEDLES = NOTICE_STARTS.map((start) => Buffer.concat([Buffer.from("\n"), start]));
