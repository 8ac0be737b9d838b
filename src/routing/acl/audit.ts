import { compareRules } from "./conflicts.ts";
import { checkHijack } from "./hijack.ts";
import { subjectOf, type AclRule } from "./model.ts";
import { parseAcl } from "./parse.ts";
import { checkAgainstPolicy, type AclPolicy } from "./policy.ts";

/** Something wrong with a rule that is already stored. It keeps routing as before; this is only reported. */
export interface AuditWarning {
  readonly id: string;
  readonly kind: "unparseable" | "hijack" | "policy" | "same" | "overlap";
  readonly message: string;
  /** The other service, for "same" and "overlap". */
  readonly otherId?: string;
}

/**
 * Checks rules already stored (written by Bamboo, by an older bamboo, or straight into
 * ZooKeeper) with the same checks as {@link validateRule}, and returns warnings instead of
 * refusing: dropping a stored rule would take a working app off the air, so stored rules keep
 * routing as before and the warnings go to logs and the status page. Each clashing pair is
 * reported once, under the smaller id. Sorted by id, then kind.
 */
export function auditStoredRules(services: Iterable<{ readonly id: string; readonly acl: string }>, policy: AclPolicy): AuditWarning[] {
  const warnings: AuditWarning[] = [];
  const parsed: { id: string; rule: AclRule }[] = [];
  const sorted = [...services].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const { id, acl } of sorted) {
    if (acl.trim() === "") continue;
    const result = parseAcl(acl);
    if (!result.ok) {
      warnings.push({ id, kind: "unparseable", message: `stored rule '${acl}' would be refused today: ${result.message}` });
      continue;
    }
    const hijack = checkHijack(result.rule);
    if (!hijack.ok) warnings.push({ id, kind: "hijack", message: `stored rule '${acl}' may take other apps' traffic: ${hijack.message}` });
    const allowed = checkAgainstPolicy(result.rule, policy);
    if (!allowed.ok) warnings.push({ id, kind: "policy", message: `stored rule '${acl}' is outside the policy: ${allowed.message}` });
    parsed.push({ id, rule: result.rule });
  }
  for (const [i, j] of candidatePairs(parsed.map((entry) => entry.rule))) {
    const clash = compareRules(parsed[i]!.rule, parsed[j]!.rule);
    if (clash) warnings.push({ id: parsed[i]!.id, kind: clash.kind, otherId: parsed[j]!.id, message: `${clash.kind === "same" ? "claims the same as" : "overlaps"} ${parsed[j]!.id}: ${clash.detail}` });
  }
  const order = ["unparseable", "hijack", "policy", "same", "overlap"];
  return warnings.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : order.indexOf(a.kind) - order.indexOf(b.kind)));
}

/**
 * Index pairs (i < j) that may clash. Comparing every pair is quadratic, and an installation
 * has thousands of rules, nearly all exact hosts or path prefixes: two exact hosts can only
 * clash when equal, and two exact-or-prefix paths only when one (case-folded) is a prefix of
 * the other, which a sorted scan finds. Every other rule is compared with all rules.
 */
function candidatePairs(rules: readonly AclRule[]): [number, number][] {
  const pairs = new Set<number>();
  const add = (a: number, b: number) => pairs.add(Math.min(a, b) * rules.length + Math.max(a, b));
  const hosts = new Map<string, number[]>();
  const paths: { value: string; index: number }[] = [];
  const rest: number[] = [];
  rules.forEach((rule, index) => {
    const subject = subjectOf(rule);
    const plain = rule.converters.length === 0;
    if (plain && subject === "host" && rule.method === "str") {
      for (const pattern of rule.patterns) hosts.set(pattern.toLowerCase(), [...(hosts.get(pattern.toLowerCase()) ?? []), index]);
    } else if (plain && subject === "path" && (rule.method === "str" || rule.method === "beg" || rule.method === "dir")) {
      for (const pattern of rule.patterns) {
        const value = rule.method === "dir" ? `/${pattern.replace(/^[/?]+|[/?]+$/g, "")}` : pattern;
        paths.push({ value: value.toLowerCase(), index });
      }
    } else rest.push(index);
  });
  for (const same of hosts.values()) {
    for (let a = 0; a < same.length; a++) for (let b = a + 1; b < same.length; b++) if (same[a] !== same[b]) add(same[a]!, same[b]!);
  }
  paths.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  for (let a = 0; a < paths.length; a++) {
    for (let b = a + 1; b < paths.length && paths[b]!.value.startsWith(paths[a]!.value); b++) {
      if (paths[a]!.index !== paths[b]!.index) add(paths[a]!.index, paths[b]!.index);
    }
  }
  for (const index of rest) for (let other = 0; other < rules.length; other++) if (other !== index) add(index, other);
  return [...pairs].sort((x, y) => x - y).map((key) => [Math.floor(key / rules.length), key % rules.length]);
}
