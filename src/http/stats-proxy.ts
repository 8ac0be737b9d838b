import { HttpError } from "./errors.ts";
import { errorMessage } from "../system/error-message.ts";

/**
 * Forwards `/haproxy_stats` to the stats page HAProxy serves on a UNIX socket, so the
 * page is reachable only through bamboo (and its auth), never on the public frontend.
 */
export function proxyStatsPage(request: Request, socketPath: string): Promise<Response> {
  const url = new URL(request.url);
  return forward(request, socketPath, `${url.pathname}${url.search}`, { timeoutMs: 5_000, what: "HAProxy's stats page" });
}

/** Scopes of HAProxy's exporter small at any size: the whole output is 85 MB at 10,000 backends. */
const DEFAULT_SCOPES = ["global", "frontend"];
const SCOPES = new Set(["global", "frontend", "backend", "server", "listener", "*"]);

/**
 * `/metrics/haproxy`: HAProxy's own Prometheus exporter, served beside the stats page on its
 * UNIX socket. `?scope=` picks what it reports (repeatable: global, frontend, backend,
 * server, listener, or `*`); without one, global and frontend only. The answer is streamed
 * as HAProxy writes it, never held whole.
 */
export function proxyHAProxyMetrics(request: Request, socketPath: string): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const scopes = params.getAll("scope");
  const unknown = scopes.find((scope) => !SCOPES.has(scope));
  if (unknown !== undefined) throw new HttpError(400, `scope '${unknown}' is not one of global, frontend, backend, server, listener or *`);
  const query = new URLSearchParams((scopes.length > 0 ? scopes : DEFAULT_SCOPES).map((scope) => ["scope", scope]));
  if (params.has("no-maint")) query.append("no-maint", "");
  return forward(request, socketPath, `/metrics?${query}`, { timeoutMs: 60_000, what: "HAProxy's metrics" });
}

async function forward(request: Request, socketPath: string, path: string, options: { readonly timeoutMs: number; readonly what: string }): Promise<Response> {
  try {
    const upstream = await fetch(`http://haproxy${path}`, {
      unix: socketPath,
      method: request.method,
      headers: { accept: request.headers.get("accept") ?? "*/*" },
      body: request.method === "POST" ? await request.arrayBuffer() : undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const headers = new Headers();
    for (const name of ["content-type", "cache-control", "refresh", "location"]) {
      const value = upstream.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return new Response(upstream.body, { status: upstream.status, headers });
  } catch (error) {
    throw new HttpError(503, `${options.what} unavailable: ${errorMessage(error)}`);
  }
}
