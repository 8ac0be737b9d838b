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
 */
export class AccessLogRelay {
  constructor(
    private readonly options: {
      /** Where lines go: a file descriptor bamboo opened for appending, or 1 for its stdout. */
      readonly fd: number;
      readonly notice: (line: string) => void;
    },
  ) {}

  /** Relays one HAProxy master's stdout until it ends; each start of HAProxy brings a new one. */
  async relay(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    // HAProxy writes whole lines of at most 8 KiB (`len 8192`): a longer one is none of them,
    // and is dropped up to its end.
    let skipping = false;
    const reader = stream.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      let text = partial + decoder.decode(chunk.value, { stream: true });
      if (skipping) {
        const newline = text.indexOf("\n");
        [text, skipping] = newline < 0 ? ["", true] : [text.slice(newline + 1), false];
      }
      const end = text.lastIndexOf("\n") + 1;
      if (text.length - end > MAX_LINE) [partial, skipping] = ["", true];
      else partial = text.slice(end);
      if (end > 0) await this.#write(this.#withoutNotices(text.slice(0, end)));
    }
  }

  #withoutNotices(lines: string): string {
    // The usual chunk holds request lines only, passed on as read, without splitting it.
    if (!NOTICE_ANYWHERE.test(lines)) return lines;
    let kept = "";
    for (const line of lines.split("\n")) {
      if (line === "") continue;
      if (NOTICE.test(line)) this.options.notice(line);
      else kept += `${line}\n`;
    }
    return kept;
  }

  #write(text: string): Promise<void> {
    if (text === "") return Promise.resolve();
    const bytes = Buffer.from(text);
    return new Promise((resolve) => {
      const next = (offset: number) => {
        write(this.options.fd, bytes, offset, bytes.length - offset, null, (error, written) => {
          // A destination that fails (a full disk) loses these lines; the next chunk tries again.
          if (error || offset + written >= bytes.length) resolve();
          else next(offset + written);
        });
      };
      next(0);
    });
  }
}

/** HAProxy's lines are at most 8 KiB (`len 8192` in the template); twice that is surely none. */
const MAX_LINE = 16 * 1024;

/** What HAProxy writes to a proxy's log besides requests: proxies stopping, pausing, resuming. */
const NOTICE = /^(Proxy \S+ (stopped|started|paused|resumed)|Stopping (frontend|backend|proxy) )/;
const NOTICE_ANYWHERE = /(^|\n)(Proxy \S+ (stopped|started|paused|resumed)|Stopping (frontend|backend|proxy) )/;
