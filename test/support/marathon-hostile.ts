/**
 * A stand-in Marathon in front of the simulator (127.0.0.1 only) for hostile-input tests and
 * benchmarks: it passes every request through to the simulator, so tasks are real and apps
 * route, until told to answer the app requests, or new event streams, with a body of its own:
 * oversized, endless or garbage.
 */
import type { Server } from "bun";
import type { MarathonSim } from "./marathon-sim.ts";

/** Makes the body of one hostile answer (a fresh stream each time: a stream is read once). */
export type BodyMaker = () => ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>;

export class HostileMarathon {
  readonly #sim: MarathonSim;
  readonly #server: Server<undefined>;
  #apps: BodyMaker | null = null;
  #events: BodyMaker | null = null;
  #appRequests = 0;

  private constructor(sim: MarathonSim) {
    this.#sim = sim;
    // idleTimeout 0: event streams may be quiet for longer than Bun's default.
    this.#server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: (request) => this.#handle(request) });
  }

  static start(sim: MarathonSim): HostileMarathon {
    return new HostileMarathon(sim);
  }

  /** What MARATHON_ENDPOINT should say. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  /** GET /v2/apps and /v2/apps/<id> requests seen, hostile or not. */
  get appRequests(): number {
    return this.#appRequests;
  }

  /** Every app request (the list and single apps) is answered 200 with `body`; null passes them through again. */
  serveApps(body: BodyMaker | null): void {
    this.#apps = body;
  }

  /** New event streams get `body`; open ones are dropped so the client reconnects to it. Null passes streams through again. */
  serveEvents(body: BodyMaker | null): void {
    this.#events = body;
    this.#sim.dropStreams();
  }

  stop(): void {
    this.#server.stop(true);
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const isApps = request.method === "GET" && (url.pathname === "/v2/apps" || url.pathname.startsWith("/v2/apps/"));
    if (isApps) this.#appRequests++;
    if (isApps && this.#apps !== null) return new Response(this.#apps(), { headers: { "content-type": "application/json" } });
    if (url.pathname === "/v2/events" && this.#events !== null) return new Response(this.#events(), { headers: { "content-type": "text/event-stream" } });
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
    const upstream = await fetch(`${this.#sim.url}${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body, redirect: "manual" });
    const headers = new Headers(upstream.headers);
    // fetch decoded the body: its encoding and length no longer apply.
    headers.delete("content-encoding");
    headers.delete("content-length");
    return new Response(upstream.body, { status: upstream.status, headers });
  }
}

const CHUNK = 64 * 1024;

export interface StreamedBody {
  /** Sent first, whole. */
  readonly head: string;
  /** What follows: one byte repeated, or random bytes. */
  readonly fill: number | "random";
  /** Bytes in all, head included; null: never ends. */
  readonly bytes: number | null;
  /** Pause before each chunk after the head, for an answer that trickles. */
  readonly everyMs?: number;
}

/** A body made chunk by chunk as the reader pulls, so an endless or huge one costs the sender nothing. */
export function streamedBody(spec: StreamedBody): ReadableStream<Uint8Array> {
  const chunk = fillChunk(spec.fill);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent === 0 && spec.head !== "") {
        const head = new TextEncoder().encode(spec.head);
        sent += head.length;
        controller.enqueue(head);
        return;
      }
      const size = spec.bytes === null ? CHUNK : Math.min(CHUNK, spec.bytes - sent);
      if (size <= 0) return controller.close();
      if (spec.everyMs !== undefined) await Bun.sleep(spec.everyMs);
      sent += size;
      controller.enqueue(chunk.slice(0, size));
    },
  });
}

/** `head`, then `fill` up to `bytes` in all, as one buffer: an answer with a Content-Length. */
export function wholeBody(head: string, fill: number | "random", bytes: number): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(bytes);
  const chunk = fillChunk(fill);
  for (let at = 0; at < bytes; at += CHUNK) body.set(chunk.subarray(0, Math.min(CHUNK, bytes - at)), at);
  body.set(new TextEncoder().encode(head).subarray(0, bytes));
  return body;
}

function fillChunk(fill: number | "random"): Uint8Array {
  return fill === "random" ? crypto.getRandomValues(new Uint8Array(CHUNK)) : new Uint8Array(CHUNK).fill(fill);
}
