import { signedInAccount, type Account } from "./auth.ts";
import type { ApiAccess } from "./credentials.ts";
import { HttpError } from "./errors.ts";

/** What a request needs before any handler runs: nothing, a reader (viewer or admin), or the admin. */
export type Need = "nothing" | "read" | "write";

type Role = "admin" | "viewer";

/** The page and its assets hold no data; the health checks must answer whoever asks. */
const OPEN_PATHS = new Set(["/healthz", "/status", "/", "/index.html"]);

/**
 * Closed unless listed open: a path added later needs credentials until someone decides
 * otherwise. Reads are GET/HEAD and the request tester's POST (it only explains).
 */
export function needOf(request: Request, access: ApiAccess): Need {
  const path = new URL(request.url).pathname;
  if (OPEN_PATHS.has(path) || path.startsWith("/ui/")) return "nothing";
  // It has credentials of its own (HAPROXY_STATS_USER), checked by its handler.
  if (path === "/haproxy_stats") return "nothing";
  // Marathon posts events as it did to Bamboo, without credentials; an event only makes bamboo ask Marathon again.
  if (path === "/api/marathon/event_callback" && request.method === "POST") return "nothing";
  const read = request.method === "GET" || request.method === "HEAD" || (request.method === "POST" && path === "/api/request-test");
  if (!read) return "write";
  if (access.viewer === null || ((path === "/metrics" || path === "/metrics/haproxy") && access.metricsOpen)) return "nothing";
  return "read";
}

/**
 * Who signed in, for `GET /api/whoami` (the UI offers writes to the admin only): the user and
 * role, or the admin's role for everyone when auth is off. Throws 401 without credentials.
 */
export function whoIs(request: Request, access: ApiAccess | null): { readonly user: string | null; readonly role: Role } {
  if (access === null) return { user: null, role: "admin" };
  const account = signedInAccount(request, accountsOf(access), "reading who is signed in");
  return { user: account.credential.user, role: account.role };
}

function accountsOf(access: ApiAccess): Account<Role>[] {
  const accounts: Account<Role>[] = [{ role: "admin", credential: access.admin }];
  if (access.viewer !== null) accounts.push({ role: "viewer", credential: access.viewer });
  return accounts;
}

/**
 * Lets `request` through or throws: 401 without valid credentials, 403 for the viewer
 * asking to write (signed in, but not allowed). `access` null: auth is off (BAMBOO_API_AUTH=false).
 */
export function authorize(request: Request, access: ApiAccess | null): void {
  if (access === null) return;
  const need = needOf(request, access);
  if (need === "nothing") return;
  const account = signedInAccount(request, accountsOf(access), need === "read" ? "reading apps, rules and the appliance's state (as the viewer or the admin user)" : "changing routing rules or certificates (as the admin user)");
  if (need === "write" && account.role !== "admin") {
    throw new HttpError(403, `signed in as ${account.credential.user}, who may only read: changing routing rules or certificates needs the admin user (BAMBOO_API_USER)`);
  }
}
