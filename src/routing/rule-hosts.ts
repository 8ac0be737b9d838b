import { parseAcl, subjectOf } from "./acl/index.ts";

/**
 * The host names a rule routes by name: the hosts of an exact `hdr(host)` rule, and the host
 * part of a `base`/`base_beg` one. What a certificate must name for the app to be served over
 * HTTPS without a certificate error (the API lists which apps each certificate covers).
 * Suffixes, regexes and other rules name no host. Pure.
 *
 * @example ruleHosts("hdr(host) -i Shop.example www.shop.example") // ["shop.example", "www.shop.example"]
 */
export function ruleHosts(acl: string): string[] {
  const parsed = parseAcl(acl);
  if (!parsed.ok) return [];
  const { rule } = parsed;
  if (rule.converters.length > 0) return [];
  const subject = subjectOf(rule);
  if (subject === "host" && rule.method === "str") return rule.patterns.map(withoutPort);
  if (subject === "base" && (rule.method === "str" || rule.method === "beg")) {
    return rule.patterns.flatMap((pattern) => {
      const host = pattern.split("/")[0]!;
      // A prefix that ends inside the host names no whole host.
      return host === "" || (rule.method === "beg" && !pattern.includes("/")) ? [] : [withoutPort(host)];
    });
  }
  return [];
}

/** Whether a certificate naming `names` (wildcards as `*.example.com`, one label deep) answers for `host`. */
export function namesHost(names: readonly string[], host: string): boolean {
  const wanted = host.toLowerCase();
  return names.some((name) => name === wanted || (name.startsWith("*.") && wanted.endsWith(name.slice(1)) && !wanted.slice(0, -name.length + 1).includes(".")));
}

function withoutPort(host: string): string {
  return host.toLowerCase().replace(/:\d+$/, "");
}
