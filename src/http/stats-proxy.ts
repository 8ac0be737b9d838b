import { HttpError } from "./errors.ts";
import { errorMessage } from "../system/error-message.ts";

/**
 * Forwards `/haproxy_stats` to the stats page HAProxy serves on a UNIX socket, so the
 * page is reachable only through bamboo (and its auth), never on the public frontend.
 */
export async function proxyStatsPage(request: Request, socketPath: string): Promise<Response> {
  const url = new URL(request.url);
  try {
    const upstream = await fetch(`http://haproxy${url.pathname}${url.search}`, {
      unix: socketPath,
      method: request.method,
      headers: { accept: request.headers.get("accept") ?? "*/*" },
      body: request.method === "POST" ? await request.arrayBuffer() : undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(5_000),
    });
    const headers = new Headers();
    for (const name of ["content-type", "cache-control", "refresh", "location"]) {
      const value = upstream.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return new Response(upstream.body, { status: upstream.status, headers });
  } catch (error) {
    throw new HttpError(503, `HAProxy's stats page is unavailable: ${errorMessage(error)}`);
  }
}
