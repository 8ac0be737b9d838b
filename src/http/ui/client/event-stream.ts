/** One server-sent event, as the page uses them. */
export interface StreamEvent {
  readonly id: string;
  readonly event: string;
  readonly data: string;
}

/**
 * Reads the `text/event-stream` format (the WHATWG HTML standard's rules, without `retry`:
 * the page has its own backoff) from decoded text chunks. The page reads the stream with
 * `fetch` rather than EventSource, which cannot send an Authorization header.
 *
 * Bounded: an event (its unfinished line and its data so far) longer than `maxChars`
 * throws, so a broken or hostile stream cannot grow the page's memory without end. Chunks
 * are scanned once and kept as pieces until their line ends: at 10,000 apps one overview is
 * a single line of several megabytes arriving in many chunks.
 */
export class EventStreamParser {
  #pieces: string[] = [];
  #pieceChars = 0;
  #data: string[] = [];
  #dataChars = 0;
  #event = "";
  #lastId = "";
  /** The last chunk ended with "\r": a "\n" opening the next one ends the same line. */
  #afterCr = false;

  constructor(private readonly maxChars: number) {}

  /** The id of the last event with one, for resuming after a reconnect. */
  get lastEventId(): string {
    return this.#lastId;
  }

  /** Feeds the next chunk; returns the events it completed, in order. */
  push(chunk: string): StreamEvent[] {
    const events: StreamEvent[] = [];
    let start = this.#afterCr && chunk.startsWith("\n") ? 1 : 0;
    this.#afterCr = false;
    let nextLf = chunk.indexOf("\n", start);
    let nextCr = chunk.indexOf("\r", start);
    while (nextLf >= 0 || nextCr >= 0) {
      const end = nextCr < 0 || (nextLf >= 0 && nextLf < nextCr) ? nextLf : nextCr;
      this.#pieces.push(chunk.slice(start, end));
      const event = this.#line(this.#pieces.join(""));
      this.#pieces = [];
      this.#pieceChars = 0;
      if (event) events.push(event);
      start = end + 1;
      if (chunk[end] === "\r") {
        if (start === chunk.length) this.#afterCr = true;
        else if (chunk[start] === "\n") start++;
      }
      if (nextLf >= 0 && nextLf < start) nextLf = chunk.indexOf("\n", start);
      if (nextCr >= 0 && nextCr < start) nextCr = chunk.indexOf("\r", start);
      this.#checkSize();
    }
    if (start < chunk.length) {
      this.#pieces.push(chunk.slice(start));
      this.#pieceChars += chunk.length - start;
      this.#checkSize();
    }
    return events;
  }

  #line(line: string): StreamEvent | null {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.#data.push(value);
      this.#dataChars += value.length + 1;
    } else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#lastId = value;
    return null;
  }

  #dispatch(): StreamEvent | null {
    const event = this.#data.length === 0 ? null : { id: this.#lastId, event: this.#event || "message", data: this.#data.join("\n") };
    this.#data = [];
    this.#dataChars = 0;
    this.#event = "";
    return event;
  }

  #checkSize(): void {
    if (this.#pieceChars + this.#dataChars > this.maxChars) {
      throw new Error(`an event on the live stream is larger than ${this.maxChars} characters; reconnecting`);
    }
  }
}
