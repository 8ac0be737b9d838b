/**
 * Refuses writes a page on another site could make with a visitor's browser. Browsers keep
 * Basic credentials once entered and attach them to any request to this host, and a
 * `no-cors` POST with `Content-Type: text/plain` needs no preflight; so an unsafe request
 * must come from this origin (or from no browser at all) and carry JSON. Pure.
 */

const UNSAFE_METHODS = new Set(["POST", "PUT", "DELETE", "PATCH"]);

/** Why `request` is refused as cross-site, or null when it may go on. */
export function crossSiteRefusal(request: Request): { status: number; message: string } | null {
  if (!UNSAFE_METHODS.has(request.method)) return null;
  const fetchSite = request.headers.get("sec-fetch-site");
  // "none": typed or bookmarked by the user; "same-origin": this page. A sibling site is another site.
  if (fetchSite !== null && fetchSite !== "same-origin" && fetchSite !== "none") {
    return { status: 403, message: `refused: the request came from another site (Sec-Fetch-Site: ${fetchSite}); use the API from a script or this appliance's own page` };
  }
  const origin = request.headers.get("origin");
  // "null" is an opaque origin (a sandboxed frame, a file): never this appliance's page.
  if (origin !== null && (origin === "null" || !sameHost(origin, request))) {
    return { status: 403, message: `refused: the request came from another origin (${origin}); use the API from a script or this appliance's own page` };
  }
  return null;
}

/**
 * Why a write's body is refused for its type, or null: writes that carry a body must say it
 * is JSON, or for a certificate upload a PEM file; a page on another site can send neither
 * without a preflight this server never answers.
 */
export function contentTypeRefusal(request: Request): { status: number; message: string } | null {
  if (request.method !== "POST" && request.method !== "PUT" && request.method !== "PATCH") return null;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return null;
  if (type === "application/x-pem-file" && new URL(request.url).pathname.startsWith("/api/certificates/")) return null;
  return { status: 415, message: `the request body must be sent as Content-Type: application/json${type === "" ? "" : ` (got ${type})`}` };
}

function sameHost(origin: string, request: Request): boolean {
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  const host = request.headers.get("host") ?? new URL(request.url).host;
  return originHost.toLowerCase() === host.toLowerCase();
}
