/**
 * The simulator's event fan-out: SSE streams (Marathon framing, filters, heartbeats) and
 * legacy HTTP callback subscribers that receive each event as a POST.
 */

interface Stream {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  /** Empty: every event type. */
  readonly filter: ReadonlySet<string>;
  stalled: boolean;
  closed: boolean;
}

const encoder = new TextEncoder();

export class SimEventHub {
  readonly #streams = new Set<Stream>();
  #published = 0;
  readonly #callbacks = new Set<string>();
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  /** POSTs to callback URLs that failed (for tests). */
  callbackFailures = 0;
  /** Events delivered to callbacks (for tests). */
  callbackDeliveries = 0;
  /** Heartbeat rounds sent (for tests that need time to pass without sleeping). */
  heartbeats = 0;

  constructor(heartbeatMs: number) {
    if (heartbeatMs > 0) this.#heartbeat = setInterval(() => this.#beat(), heartbeatMs);
  }

  /** A new `text/event-stream` body; `event_stream_attached` is its first event, as in Marathon. */
  open(filter: readonly string[], remoteAddress: string): ReadableStream<Uint8Array> {
    let stream: Stream | undefined;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        stream = { controller, filter: new Set(filter), stalled: false, closed: false };
        this.#streams.add(stream);
        this.#send(stream, "event_stream_attached", { remoteAddress, eventType: "event_stream_attached", timestamp: new Date().toISOString() });
      },
      cancel: () => {
        if (stream) this.#forget(stream);
      },
    });
  }

  /** Events published since the start, whoever listened. */
  get published(): number {
    return this.#published;
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  /** Sends an event to every stream whose filter wants it and to every callback subscriber. */
  publish(eventType: string, body: Record<string, unknown>): void {
    this.#published++;
    const full = { ...body, eventType, timestamp: new Date().toISOString() };
    for (const stream of this.#streams) this.#send(stream, eventType, full);
    for (const url of this.#callbacks) void this.#post(url, full);
  }

  /** Ends every open stream, as a leader abdication does. */
  dropStreams(): void {
    for (const stream of [...this.#streams]) {
      this.#forget(stream);
      try {
        stream.controller.close();
      } catch {
        // Already closed by the client.
      }
    }
  }

  /** Open streams stay open but never send another byte (a half-open connection); new streams are fine. */
  stallStreams(): void {
    for (const stream of this.#streams) stream.stalled = true;
  }

  subscribe(url: string): void {
    this.#callbacks.add(url);
  }

  unsubscribe(url: string): boolean {
    return this.#callbacks.delete(url);
  }

  get subscribers(): string[] {
    return [...this.#callbacks].sort();
  }

  close(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.dropStreams();
  }

  #send(stream: Stream, eventType: string, body: Record<string, unknown>): void {
    if (stream.filter.size > 0 && !stream.filter.has(eventType)) return;
    this.#write(stream, `event: ${eventType}\r\ndata: ${JSON.stringify(body)}\r\n\r\n`);
  }

  /** Marathon's keep-alive: a bare CRLF. */
  #beat(): void {
    this.heartbeats++;
    for (const stream of this.#streams) this.#write(stream, "\r\n");
  }

  #write(stream: Stream, text: string): void {
    if (stream.stalled || stream.closed) return;
    try {
      stream.controller.enqueue(encoder.encode(text));
    } catch {
      this.#forget(stream);
    }
  }

  #forget(stream: Stream): void {
    stream.closed = true;
    this.#streams.delete(stream);
  }

  async #post(url: string, body: Record<string, unknown>): Promise<void> {
    try {
      const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      await response.arrayBuffer();
      if (response.ok) this.callbackDeliveries++;
      else this.callbackFailures++;
    } catch {
      this.callbackFailures++;
    }
  }
}
