import { findConflicts, type Conflict } from "./conflicts.ts";
import { checkHijack } from "./hijack.ts";
import type { AclRule } from "./model.ts";
import { parseAcl } from "./parse.ts";
import { checkAgainstPolicy, type AclPolicy } from "./policy.ts";
import { renderAcl } from "./render.ts";

/** What the API's write path and dry run pass in. */
export interface ValidateRuleInput {
  /** The service (Marathon app) id the rule is for, with its leading '/'. */
  readonly id: string;
  /** The ACL criterion as the user wrote it; "" keeps Bamboo's default `path_beg -i <id>`. */
  readonly acl: string;
  /** Every stored service's ACL by id; the candidate's own id, empty and unparseable ACLs are skipped. */
  readonly others: ReadonlyMap<string, string>;
  /**
   * The default rules (`path_beg -i <id>`) of routed apps with no stored service: claiming what
   * one of them routes is a conflict exactly as claiming a stored rule is.
   */
  readonly defaults?: ReadonlyMap<string, string>;
  readonly policy: AclPolicy;
  /** Accept rules that overlap others (they are then ordered by precedence); claims of the very same thing are refused regardless. */
  readonly allowOverlap: boolean;
}

export type ValidateRuleResult =
  | {
      readonly ok: true;
      /** The parsed rule; null for "" (Bamboo's default path rule, which claims nothing new). */
      readonly rule: AclRule | null;
      /** The text to store and to write into the HAProxy config; "" for the default rule. */
      readonly canonical: string;
      /** Overlaps with other services that were accepted because `allowOverlap` was set; empty otherwise. */
      readonly overlaps: readonly Conflict[];
    }
  | {
      readonly ok: false;
      /** 400: the rule itself is wrong; 409: it clashes with other services' rules. */
      readonly status: 400 | 409;
      readonly message: string;
      /** The ids of the services it clashes with (409 only). */
      readonly conflictsWith?: readonly string[];
    };

/**
 * The one check a rule passes before it is stored: parse (anything not understood is refused),
 * hijack (a rule matching nearly every request), policy (what this installation allows), and
 * conflicts with every other service. Pure: the caller supplies the stored rules and the policy.
 *
 * @example
 * validateRule({ id: "/ghost", acl: "hdr(host) -i ghost.local", others: new Map([["/blog", "hdr(host) -i ghost.local"]]), policy: DEFAULT_POLICY, allowOverlap: false })
 * // { ok: false, status: 409, message: "host 'ghost.local' is already claimed by /blog: ...", conflictsWith: ["/blog"] }
 */
export function validateRule(input: ValidateRuleInput): ValidateRuleResult {
  if (input.acl.trim() === "") return { ok: true, rule: null, canonical: "", overlaps: [] };
  const parsed = parseAcl(input.acl);
  if (!parsed.ok) return { ok: false, status: 400, message: `the rule is not accepted: ${parsed.message}` };
  const rule = parsed.rule;
  const hijack = checkHijack(rule);
  if (!hijack.ok) return { ok: false, status: 400, message: `the rule would take other apps' traffic: ${hijack.message}` };
  const defaults = input.defaults ?? new Map<string, string>();
  const allowed = checkAgainstPolicy(rule, input.policy);
  if (!allowed.ok) return { ok: false, status: 400, message: allowed.message };

  const claims = new Map([...defaults].filter(([id]) => id !== input.id && !input.others.has(id)));
  for (const [id, acl] of input.others) claims.set(id, acl);
  const conflicts = findConflicts({ id: input.id, rule }, parseOthers(claims));
  const listClashes = (clashes: readonly Conflict[]) =>
    clashes.map((conflict) => `${conflict.otherId}${input.others.has(conflict.otherId) ? "" : " by its default rule"} (${conflict.detail})`).join("; ");
  const same = conflicts.filter((conflict) => conflict.kind === "same");
  if (same.length > 0) {
    return { ok: false, status: 409, message: `already claimed by ${listClashes(same)}; choose another host or path, or ask the owner to change theirs`, conflictsWith: same.map((conflict) => conflict.otherId) };
  }
  if (conflicts.length > 0 && !input.allowOverlap) {
    return {
      ok: false,
      status: 409,
      message: `overlaps ${listClashes(conflicts)}; narrow the rule, or allow overlaps to have the most specific rule win`,
      conflictsWith: conflicts.map((conflict) => conflict.otherId),
    };
  }
  return { ok: true, rule, canonical: renderAcl(rule), overlaps: conflicts };
}

/** Others' rules that can be compared; the rest are left to {@link auditStoredRules} to report. */
function parseOthers(others: ReadonlyMap<string, string>): Map<string, AclRule> {
  const rules = new Map<string, AclRule>();
  for (const [id, acl] of others) {
    if (acl.trim() === "") continue;
    const parsed = parseAcl(acl);
    if (parsed.ok) rules.set(id, parsed.rule);
  }
  return rules;
}
