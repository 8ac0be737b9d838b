import { matchesValue } from "./match.ts";
import { subjectOf, type AclRule } from "./model.ts";
import { compareByPrecedence } from "./precedence.ts";
import { patternSeeds } from "./samples.ts";

/** A request as far as host and path rules see it. */
interface HostPath {
  readonly host: string;
  readonly path: string;
}

const PATHS_UNDER_A_HOST = ["/", "/a", "/x/y/z", "/index.html"];
const ANY_HOST = "any.example";

/**
 * Whether `mine`, tested before `theirs` in the frontend's order, matches every request
 * `theirs` routes, so that app would receive nothing: `base_beg -i shop.example/` against
 * `hdr(host) -i shop.example`. An overlap that carves a part out of another app's traffic
 * may be allowed (allowOverlap); one that takes all of it never is. Answers an example
 * request, or null. Only host, path and host+path rules are compared; others are left to
 * the overlap report.
 *
 * @example takesAllOf({ id: "/b", rule: baseBeg("shop.example/") }, { id: "/a", rule: host("shop.example") }) // "shop.example/"
 */
export function takesAllOf(mine: { readonly id: string; readonly rule: AclRule }, theirs: { readonly id: string; readonly rule: AclRule }): string | null {
  if (compareByPrecedence(mine, theirs) >= 0) return null;
  const requests = requestsOf(theirs.rule).filter((request) => matches(theirs.rule, request));
  if (requests.length === 0 || !requests.every((request) => matches(mine.rule, request))) return null;
  return `${requests[0]!.host}${requests[0]!.path}`;
}

/** Requests built from a rule's own patterns: the traffic it was written for. */
function requestsOf(rule: AclRule): HostPath[] {
  const subject = subjectOf(rule);
  const seeds = rule.patterns.flatMap((pattern) => patternSeeds(rule, pattern));
  switch (subject) {
    case "host":
      return seeds.flatMap((host) => PATHS_UNDER_A_HOST.map((path) => ({ host, path })));
    case "path":
      return seeds.flatMap((path) => [path, `${path}x`, `${path}/y`].map((variant) => ({ host: ANY_HOST, path: variant })));
    case "base":
      return seeds.flatMap((base) => {
        const slash = base.indexOf("/");
        const [host, path] = slash < 0 ? [base, "/"] : [base.slice(0, slash), base.slice(slash)];
        return [path, `${path}x`, `${path}/y`].map((variant) => ({ host, path: variant }));
      });
    default:
      return [];
  }
}

function matches(rule: AclRule, request: HostPath): boolean {
  const subject = subjectOf(rule);
  if (subject === "host") return matchesValue(rule, request.host, { foldCase: true, hostDomains: true });
  if (subject === "path") return matchesValue(rule, request.path);
  if (subject === "base") return matchesValue(rule, `${request.host}${request.path}`);
  return false;
}
