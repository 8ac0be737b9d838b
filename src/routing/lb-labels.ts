import { mapKeyProblem } from "./acl/index.ts";
import { orNone } from "../system/none.ts";

/**
 * marathon-lb's labels, as far as bamboo routes by them: `HAPROXY_{n}_VHOST` (comma-separated
 * hosts) and `HAPROXY_{n}_PATH` give the rule of port n routed by host and path, in the forms
 * the frontend looks up in its maps. For port 0 an app's stored rule wins over its labels
 * (routing/README: "Coming from marathon-lb"); the ports after it are routed by labels alone
 * (routing/port-routes.ts). Pure.
 */

/** The labels bamboo reads with their marathon-lb meaning; any other `HAPROXY_` label is reported as ignored. */
const UNDERSTOOD = new Set(["HAPROXY_GROUP", "HAPROXY_0_GROUP"]);

/** Labels of every port index n, `HAPROXY_{n}_<name>` (routing/service-ports.ts, routing/port-routes.ts). */
const UNDERSTOOD_PER_PORT = /^HAPROXY_\d+_(?:MODE|PORT|BIND_ADDR|ENABLED|BALANCE|STICKY|VHOST|PATH|REDIRECT_TO_HTTPS|USE_HSTS)$/;

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
  /**
   * The rule the labels give, and which labels gave it. `parts` is the same rule as rules of
   * one key each where it has several hosts and a path: a map holds each such part, while the
   * whole would be a chain line placed by its shortest prefix (route-maps.ts).
   */
  | { readonly ok: true; readonly acl: string; readonly from: string; readonly parts: readonly string[] }
  | { readonly ok: false; readonly message: string };

/**
 * The rule an app's labels give its port `index`, or null when they give none.
 * - hosts only: `hdr(host) -i a.example b.example`
 * - a path only: `path_beg -i /api`
 * - both: `base_beg -i a.example/api b.example/api` (host and path prefix)
 *
 * @example labelRuleOf({ HAPROXY_0_VHOST: "Shop.example", HAPROXY_0_PATH: "/api" })
 * // { ok: true, acl: "base_beg -i shop.example/api", from: "HAPROXY_0_VHOST and HAPROXY_0_PATH", parts: ["base_beg -i shop.example/api"] }
 */
export function labelRuleOf(labels: Readonly<Record<string, string>>, index = 0): LabelRule | null {
  const [vhostLabel, pathLabel] = [`HAPROXY_${index}_VHOST`, `HAPROXY_${index}_PATH`];
  const vhost = labels[vhostLabel]?.trim() ?? "";
  const path = labels[pathLabel]?.trim() ?? "";
  if (vhost === "" && path === "") return null;
  const hosts = [...new Set(vhost.split(",").map((host) => host.trim().toLowerCase()).filter((host) => host !== ""))];
  if (hosts.length > MAX_HOSTS) return { ok: false, message: `label ${vhostLabel} names ${hosts.length} hosts; at most ${MAX_HOSTS} are routed from one app's labels` };
  const badHost = hosts.find((host) => !HOST.test(host));
  if (badHost !== undefined) return { ok: false, message: `label ${vhostLabel}: '${badHost}' is not a host name (letters, digits, '-' and '.')` };
  if (path.length > MAX_PATH_CHARS) return { ok: false, message: `label ${pathLabel} is ${path.length} characters long; at most ${MAX_PATH_CHARS} are routed` };
  if (path !== "") {
    const problem = path.startsWith("/") ? mapKeyProblem(path) : "no leading '/'";
    if (problem !== null) return { ok: false, message: `label ${pathLabel}: '${path}' holds ${problem}; a path prefix such as /api is expected` };
  }
  const whole = (acl: string, from: string): LabelRule => ({ ok: true, acl, from, parts: [acl] });
  if (hosts.length === 0) return whole(`path_beg -i ${path}`, pathLabel);
  // A prefix of "/" on a host is the host itself.
  if (path === "" || path === "/") return whole(`hdr(host) -i ${hosts.join(" ")}`, vhostLabel);
  const prefixes = hosts.map((host) => `${host}${path}`);
  return { ok: true, acl: `base_beg -i ${prefixes.join(" ")}`, from: `${vhostLabel} and ${pathLabel}`, parts: prefixes.map((prefix) => `base_beg -i ${prefix}`) };
}

/** The indexes after 0 of the ports an app's labels route by host or path, in order. */
export function routedPortIndexes(labels: Readonly<Record<string, string>>): number[] {
  const indexes = new Set<number>();
  for (const name of Object.keys(labels)) {
    const match = /^HAPROXY_([1-9]\d{0,4})_(?:VHOST|PATH)$/.exec(name);
    if (match !== null && labels[name]!.trim() !== "") indexes.add(Number(match[1]));
  }
  return [...indexes].sort((a, b) => a - b);
}

/** marathon-lb labels bamboo does not act on, in name order: said per app, so nobody relies on them unknowingly. */
export function ignoredLabels(labels: Readonly<Record<string, string>>): readonly string[] {
  const ignored = Object.keys(labels).filter((name) => name.startsWith("HAPROXY_") && !UNDERSTOOD.has(name) && !UNDERSTOOD_PER_PORT.test(name));
  // Kept per app by the label rules (compile/label-services.ts).
  return orNone(ignored.sort());
}
