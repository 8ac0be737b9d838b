import { compareRules } from "./conflicts.ts";
import { checkHijack } from "./hijack.ts";
import type { AclRule } from "./model.ts";
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
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const clash = compareRules(parsed[i]!.rule, parsed[j]!.rule);
      if (clash) warnings.push({ id: parsed[i]!.id, kind: clash.kind, otherId: parsed[j]!.id, message: `${clash.kind === "same" ? "claims the same as" : "overlaps"} ${parsed[j]!.id}: ${clash.detail}` });
    }
  }
  const order = ["unparseable", "hijack", "policy", "same", "overlap"];
  return warnings.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : order.indexOf(a.kind) - order.indexOf(b.kind)));
}
