import { findConflicts, type Conflict } from "./conflicts.ts";
import { checkHijack } from "./hijack.ts";
import type { AclRule } from "./model.ts";
import { parseAcl, type ParseResult } from "./parse.ts";
import { checkAgainstPolicy, type AclPolicy } from "./policy.ts";
import { renderAcl } from "./render.ts";
import { takesAllOf } from "./takeover.ts";

/** What the API's write path and dry run pass in. */
export interface ValidateRuleInput {
  /** The service (Marathon app) id the rule is for, with its leading '/'. */
  readonly id: string;
  /** The ACL criterion as the user wrote it; "" keeps Bamboo's default `path_beg -i <id>`. */
  readonly acl: string;
  /** Every stored service's ACL by id; the candidate's own id, empty and unparseable ACLs are skipped. */
  readonly others: ReadonlyMap<string, string>;
  /**
   * The rules of routed apps with no stored service, their default `path_beg -i <id>` or the
   * one their marathon-lb labels give: claiming what one of them routes is a conflict exactly
   * as claiming a stored rule is.
   */
  readonly defaults?: ReadonlyMap<string, string>;
  /** Which of `defaults` come from labels, for the message. */
  readonly fromLabels?: ReadonlySet<string>;
  readonly policy: AclPolicy;
  /** Accept rules that overlap others (they are then ordered by precedence); claims of the very same thing are refused regardless. */
  readonly allowOverlap: boolean;
  /** Reads the others' rules; a memo of parseAcl (memoByText) saves parsing every stored rule per write. */
  readonly parse?: (text: string) => ParseResult;
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

  const claims = claimedRules(input, defaults);
  const conflicts = findConflicts({ id: input.id, rule }, claims);
  const listClashes = (clashes: readonly Conflict[]) =>
    clashes.map((conflict) => `${conflict.otherId}${routedBy(input, conflict.otherId, " by its default rule", " by the rule its labels give")} (${conflict.detail})`).join("; ");
  const same = conflicts.filter((conflict) => conflict.kind === "same");
  if (same.length > 0) {
    return { ok: false, status: 409, message: `already claimed by ${listClashes(same)}; choose another host or path, or ask the owner to change theirs`, conflictsWith: same.map((conflict) => conflict.otherId) };
  }
  const takeovers = conflicts.flatMap((conflict) => {
    const other = claims.find(([id]) => id === conflict.otherId)![1];
    const example = takesAllOf({ id: input.id, rule }, { id: conflict.otherId, rule: other });
    return example === null ? [] : [{ ...conflict, example }];
  });
  if (takeovers.length > 0) {
    return {
      ok: false,
      status: 409,
      message: `would take every request of ${takeovers.map((takeover) => `${takeover.otherId}${routedBy(input, takeover.otherId, " (its default rule)", " (the rule its labels give)")}, e.g. '${takeover.example}'`).join("; ")}, since it is tested first; narrow the rule to a part of that traffic, or ask the owner`,
      conflictsWith: takeovers.map((takeover) => takeover.otherId),
    };
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

/**
 * What the others claim, as rules that can be compared: their stored rules, then the default
 * rules of apps with none. Unreadable stored rules are left to {@link auditStoredRules} to
 * report. A loop, not maps of maps: a write compares its rule with every other, 20,000 at
 * 10,000 apps.
 */
function claimedRules(input: ValidateRuleInput, defaults: ReadonlyMap<string, string>): [string, AclRule][] {
  const parse = input.parse ?? parseAcl;
  const rules: [string, AclRule][] = [];
  const add = (id: string, acl: string) => {
    if (id === input.id) return;
    // An empty rule (the default) does not parse either.
    const parsed = parse(acl);
    if (parsed.ok) rules.push([id, parsed.rule]);
  };
  for (const [id, acl] of input.others) add(id, acl);
  for (const [id, acl] of defaults) if (!input.others.has(id)) add(id, acl);
  return rules;
}

/** How another app's claim is named: nothing for a stored rule, else where its routed rule comes from. */
function routedBy(input: ValidateRuleInput, id: string, byDefault: string, byLabels: string): string {
  if (input.others.has(id)) return "";
  return input.fromLabels?.has(id) ? byLabels : byDefault;
}
