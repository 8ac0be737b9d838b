import { mapKeyProblem } from "./acl/index.ts";

/**
 * marathon-lb's labels, as far as bamboo routes by them: `HAPROXY_0_VHOST` (comma-separated
 * hosts) and `HAPROXY_0_PATH` give the rule of the port routed by host and path, in the forms
 * the frontend looks up in its maps. An app's stored rule wins over its labels (routing/README:
 * "Coming from marathon-lb"). Pure.
 */

/** The labels bamboo reads with their marathon-lb meaning; any other `HAPROXY_` label is reported as ignored. */
const UNDERSTOOD = new Set(["HAPROXY_GROUP", "HAPROXY_0_GROUP", "HAPROXY_0_VHOST", "HAPROXY_0_PATH", "HAPROXY_0_REDIRECT_TO_HTTPS", "HAPROXY_0_USE_HSTS"]);

/** Labels of every port index n, `HAPROXY_{n}_<name>` (routing/service-ports.ts). */
const UNDERSTOOD_PER_PORT = /^HAPROXY_\d+_(?:MODE|PORT|BIND_ADDR|ENABLED|BALANCE|STICKY)$/;

/**
 * `HAPROXY_0_BALANCE` values bamboo passes to HAProxy's `balance`: the algorithms that take
 * no argument (an argument would be written into the config as it came).
 */
export const BALANCE_ALGORITHMS: readonly string[] = ["roundrobin", "static-rr", "leastconn", "first", "source", "uri", "random"];

/** A label is written by whoever deploys an app: what one may make of the config is bounded. */
const MAX_HOSTS = 100;
const MAX_PATH_CHARS = 1024;

/** Hosts marathon-lb accepts in a vhost: DNS names, each label 1-63 of letters, digits and '-'. */
const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export type LabelRule =
  /** The rule the labels give, and which labels gave it. */
  | { readonly ok: true; readonly acl: string; readonly from: string }
  | { readonly ok: false; readonly message: string };

/**
 * The rule an app's labels give its port 0, or null when they give none.
 * - hosts only: `hdr(host) -i a.example b.example`
 * - a path only: `path_beg -i /api`
 * - both: `base_beg -i a.example/api b.example/api` (host and path prefix)
 *
 * @example labelRuleOf({ HAPROXY_0_VHOST: "Shop.example", HAPROXY_0_PATH: "/api" })
 * // { ok: true, acl: "base_beg -i shop.example/api", from: "HAPROXY_0_VHOST and HAPROXY_0_PATH" }
 */
export function labelRuleOf(labels: Readonly<Record<string, string>>): LabelRule | null {
  const vhost = labels.HAPROXY_0_VHOST?.trim() ?? "";
  const path = labels.HAPROXY_0_PATH?.trim() ?? "";
  if (vhost === "" && path === "") return null;
  const hosts = [...new Set(vhost.split(",").map((host) => host.trim().toLowerCase()).filter((host) => host !== ""))];
  if (hosts.length > MAX_HOSTS) return { ok: false, message: `label HAPROXY_0_VHOST names ${hosts.length} hosts; at most ${MAX_HOSTS} are routed from one app's labels` };
  const badHost = hosts.find((host) => !HOST.test(host));
  if (badHost !== undefined) return { ok: false, message: `label HAPROXY_0_VHOST: '${badHost}' is not a host name (letters, digits, '-' and '.')` };
  if (path.length > MAX_PATH_CHARS) return { ok: false, message: `label HAPROXY_0_PATH is ${path.length} characters long; at most ${MAX_PATH_CHARS} are routed` };
  if (path !== "") {
    const problem = path.startsWith("/") ? mapKeyProblem(path) : "no leading '/'";
    if (problem !== null) return { ok: false, message: `label HAPROXY_0_PATH: '${path}' holds ${problem}; a path prefix such as /api is expected` };
  }
  if (hosts.length === 0) return { ok: true, acl: `path_beg -i ${path}`, from: "HAPROXY_0_PATH" };
  // A prefix of "/" on a host is the host itself.
  if (path === "" || path === "/") return { ok: true, acl: `hdr(host) -i ${hosts.join(" ")}`, from: "HAPROXY_0_VHOST" };
  return { ok: true, acl: `base_beg -i ${hosts.map((host) => `${host}${path}`).join(" ")}`, from: "HAPROXY_0_VHOST and HAPROXY_0_PATH" };
}

/** marathon-lb labels bamboo does not act on, in name order: said per app, so nobody relies on them unknowingly. */
export function ignoredLabels(labels: Readonly<Record<string, string>>): string[] {
  return Object.keys(labels)
    .filter((name) => name.startsWith("HAPROXY_") && !UNDERSTOOD.has(name) && !UNDERSTOOD_PER_PORT.test(name))
    .sort();
}
