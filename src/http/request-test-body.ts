import type { TestRequest } from "../routing/request-test.ts";
import { HttpError } from "./errors.ts";

/** Reads the request tester's body `{url, host, headers?}` into a request to explain. */
export function parseRequestTest(body: unknown): TestRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(400, 'expected {"url": "/path?query", "host": "app.example.com", "headers": {...}}');
  const { url, host, headers, method } = body as Record<string, unknown>;
  if (typeof url !== "string" || url === "") throw new HttpError(400, "'url' must be a path such as /api/users or a full URL");
  if (host !== undefined && typeof host !== "string") throw new HttpError(400, "'host' must be a string");
  if (method !== undefined && typeof method !== "string") throw new HttpError(400, "'method' must be a string");
  let parsed: URL;
  try {
    parsed = new URL(url, "http://request.test");
  } catch {
    throw new HttpError(400, `'url' is not a path or URL: ${url}`);
  }
  const headerMap = new Map<string, string>();
  if (headers !== undefined) {
    if (typeof headers !== "object" || headers === null || Array.isArray(headers)) throw new HttpError(400, "'headers' must be an object of strings");
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== "string") throw new HttpError(400, `header '${name}' must be a string`);
      headerMap.set(name.toLowerCase(), value);
    }
  }
  const fullUrlHost = /^[a-z]+:\/\//i.test(url) ? parsed.host : "";
  const effectiveHost = (host ?? "") !== "" ? (host as string) : (headerMap.get("host") ?? fullUrlHost);
  headerMap.set("host", effectiveHost);
  return { path: parsed.pathname, query: parsed.searchParams, host: effectiveHost, headers: headerMap, method: (method as string | undefined)?.toUpperCase() ?? "GET" };
}
