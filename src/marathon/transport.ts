/**
 * HTTP to Marathon: endpoint failover, leader redirects followed by hand, credentials, CA and
 * timeouts. The only module of src/marathon that opens connections.
 */
import { readErrorText, readJsonBody, type ElementSplit } from "./answer-body.ts";
import { hintFor, MarathonError, type MarathonAttempt } from "./errors.ts";
import { formatSize } from "./sizes.ts";
import { errorMessage } from "../system/error-message.ts";

/** `fetch` as bamboo uses it; tests and the simulator pass their own. */
export type FetchLike = (url: string, init: RequestInit & { tls?: { ca?: string } }) => Promise<Response>;

/** The settings a connection needs (a subset of the `marathon` config section). */
export interface MarathonConnection {
  readonly endpoints: readonly string[];
  readonly user: string;
  readonly password: string;
  readonly authToken: string;
  readonly caCertPath: string;
  readonly requestTimeoutMs: number;
  /** A larger JSON answer is refused (MARATHON_MAX_RESPONSE_SIZE). */
  readonly maxResponseBytes: number;
}

/** A JSON answer and where it came from. */
export interface JsonAnswer<T = never> {
  readonly status: number;
  readonly body: unknown;
  readonly url: string;
  /** The elements of the array {@link RequestOptions.split} names, as it made them; that array is empty in `body`. */
  readonly elements: readonly T[];
}

export interface RequestOptions<T = never> {
  readonly method?: string;
  readonly body?: string;
  /** Statuses other than 2xx that are a real answer (e.g. 404 "app does not exist"), given the parsed body. */
  readonly accept?: (status: number, body: unknown) => boolean;
  /** A big list read element by element (answer-body.ts): only in a 2xx answer. */
  readonly split?: ElementSplit<T>;
}

/** Enough hops for non-leader → leader plus a proxy or two; more means a redirect loop. */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class MarathonTransport {
  readonly #conn: MarathonConnection;
  readonly #fetch: FetchLike;
  #preferred = 0;
  #leader: string | null = null;
  #ca: Promise<string | undefined> | null = null;

  constructor(connection: MarathonConnection, fetchImpl: FetchLike = fetch) {
    if (connection.endpoints.length === 0) throw new MarathonError("no Marathon endpoint configured", [], "set MARATHON_ENDPOINT");
    this.#conn = connection;
    this.#fetch = fetchImpl;
  }

  /** The endpoint tried first: the last one that answered. */
  get endpoint(): string {
    return this.#conn.endpoints[this.#preferred] ?? "";
  }

  /** Leader as Marathon last named it (`X-Marathon-Leader`), or null before any answer. */
  get leader(): string | null {
    return this.#leader;
  }

  /** Starts the next request at the endpoint after `endpoint` (it just failed in a way requests cannot see, e.g. a stalled stream). */
  demote(endpoint: string): void {
    const i = this.#conn.endpoints.indexOf(endpoint);
    if (i === this.#preferred && this.#conn.endpoints.length > 1) this.#preferred = (i + 1) % this.#conn.endpoints.length;
  }

  /**
   * A JSON request, tried on each endpoint in turn; the timeout covers reading the body too,
   * so an endless answer ends at the size limit or the timeout, whichever comes first.
   */
  async json<T = never>(path: string, options: RequestOptions<T> = {}): Promise<JsonAnswer<T>> {
    const method = options.method ?? "GET";
    const attempts: MarathonAttempt[] = [];
    for (const index of this.#order()) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.#conn.requestTimeoutMs);
      const first = `${this.#conn.endpoints[index]}${path}`;
      try {
        const { response, url } = await this.#follow(first, method, options.body, "application/json", controller.signal);
        const read = await this.#body(response, `${method} ${path}`, url, options);
        if (read.accepted) {
          this.#answered(index, response);
          return { status: response.status, body: read.body, url, elements: read.elements };
        }
        attempts.push({ url, status: response.status, detail: read.detail });
        // Another endpoint will not accept credentials this one refused; stop before locking the account.
        if (response.status === 401 || response.status === 403) break;
      } catch (error) {
        attempts.push(failure(first, error, controller.signal.aborted, this.#conn.requestTimeoutMs));
      } finally {
        clearTimeout(timer);
      }
    }
    throw new MarathonError(`${method} ${path} failed on every Marathon endpoint`, attempts, hintFor(attempts));
  }

  /**
   * Opens `text/event-stream` at `path`. The timeout covers only the wait for headers; after
   * that the stream lives until `signal` aborts it (the watcher's silence detector does that).
   */
  async stream(path: string, signal: AbortSignal): Promise<{ response: Response; url: string; endpoint: string }> {
    const attempts: MarathonAttempt[] = [];
    for (const index of this.#order()) {
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.#conn.requestTimeoutMs);
      const endpoint = this.#conn.endpoints[index] ?? "";
      const first = `${endpoint}${path}`;
      let opened = false;
      try {
        const { response, url } = await this.#follow(first, "GET", undefined, "text/event-stream", controller.signal);
        const type = response.headers.get("content-type") ?? "";
        if (response.ok && type.startsWith("text/event-stream") && response.body !== null) {
          this.#answered(index, response);
          opened = true;
          return { response, url, endpoint };
        }
        const text = await readErrorText(response).catch(() => "");
        attempts.push({ url, status: response.status, detail: `answered ${response.status} ${type} instead of an event stream ${snippet(text)}`.trim() });
        if (response.status === 401 || response.status === 403) break;
      } catch (error) {
        attempts.push(failure(first, error, timedOut, this.#conn.requestTimeoutMs));
        if (signal.aborted) break;
      } finally {
        clearTimeout(timer);
        // An open stream stays tied to the caller's signal: that is how the caller closes it.
        if (!opened) signal.removeEventListener("abort", onAbort);
      }
    }
    throw new MarathonError("opening the event stream failed on every Marathon endpoint", attempts, hintFor(attempts));
  }

  /**
   * A 2xx answer must be one JSON object within the size limit; another status is an answer
   * only when `options.accept` says so, and is read only as far as its message needs.
   */
  async #body<T>(
    response: Response,
    request: string,
    url: string,
    options: RequestOptions<T>,
  ): Promise<{ accepted: true; body: unknown; elements: readonly T[] } | { accepted: false; detail: string }> {
    if (!response.ok) {
      const text = await readErrorText(response);
      const body = parseJson(text);
      if (options.accept?.(response.status, body) === true) return { accepted: true, body, elements: [] };
      return { accepted: false, detail: `answered ${response.status} ${response.statusText} ${snippet(text)}`.trim() };
    }
    const read = await readJsonBody(response, this.#conn.maxResponseBytes, options.split);
    if (read.kind === "json") return { accepted: true, body: read.value, elements: read.elements };
    if (read.kind === "not-json") return { accepted: false, detail: `answered ${response.status}, but ${read.detail}` };
    // Every endpoint serves the same cluster: asking the next one would read as much again.
    const limit = formatSize(this.#conn.maxResponseBytes);
    const detail = read.announced === null ? `stopped reading after ${limit}` : `announced ${formatSize(read.announced)} in its Content-Length; not read`;
    throw new MarathonError(
      `${request}: the answer is larger than MARATHON_MAX_RESPONSE_SIZE allows (${limit})`,
      [{ url, status: response.status, detail }],
      "raise MARATHON_MAX_RESPONSE_SIZE if the cluster is really that big; until then the last known apps keep routing",
    );
  }

  /** Endpoint indexes, starting at the one that answered last: a dead first host never stalls every request. */
  #order(): number[] {
    const n = this.#conn.endpoints.length;
    return Array.from({ length: n }, (_, i) => (this.#preferred + i) % n);
  }

  #answered(index: number, response: Response): void {
    this.#preferred = index;
    const leader = response.headers.get("x-marathon-leader");
    if (leader !== null && leader !== "") this.#leader = leader;
  }

  /**
   * Follows redirects by hand: fetch drops Authorization on a cross-origin redirect, and
   * Marathon redirects the event stream from a non-leader to the leader on another host.
   */
  async #follow(start: string, method: string, body: string | undefined, accept: string, signal: AbortSignal): Promise<{ response: Response; url: string }> {
    let url = start;
    let currentMethod = method;
    let currentBody = body;
    const tls = await this.#tls();
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { Accept: accept, ...this.#auth() };
      if (currentBody !== undefined) headers["Content-Type"] = "application/json";
      const response = await this.#fetch(url, { method: currentMethod, headers, body: currentBody, redirect: "manual", signal, ...tls });
      const location = response.headers.get("location");
      if (!REDIRECTS.has(response.status) || location === null) return { response, url };
      await response.body?.cancel().catch(() => undefined);
      url = new URL(location, url).href;
      if (response.status === 303) {
        currentMethod = "GET";
        currentBody = undefined;
      }
    }
    throw new Error(`more than ${MAX_REDIRECTS} redirects (last to ${url})`);
  }

  #auth(): Record<string, string> {
    const { authToken, user, password } = this.#conn;
    if (authToken !== "") return { Authorization: `token=${authToken}` };
    if (user !== "") return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
    return {};
  }

  async #tls(): Promise<{ tls?: { ca: string } }> {
    if (this.#conn.caCertPath === "") return {};
    this.#ca ??= Bun.file(this.#conn.caCertPath).text().catch(() => undefined);
    const ca = await this.#ca;
    if (ca === undefined) {
      this.#ca = null;
      throw new MarathonError(`cannot read the CA certificate ${this.#conn.caCertPath}`, [], "check MARATHON_CA_CERT names a readable PEM file");
    }
    return { tls: { ca } };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat === "") return "";
  return `"${flat.length > 120 ? `${flat.slice(0, 120)}…` : flat}"`;
}

function failure(url: string, error: unknown, aborted: boolean, timeoutMs: number): MarathonAttempt {
  if (error instanceof MarathonError) throw error;
  if (aborted) return { url, status: null, detail: `timed out after ${timeoutMs} ms` };
  const message = errorMessage(error);
  return { url, status: null, detail: `no answer (${message})` };
}
