/**
 * Routing rules as a shared resource: parse, render, policy, hijack and conflict checks, and
 * precedence for HAProxy ACL criteria written by many teams. Pure; nothing here does I/O.
 *
 * The API's write path and dry run call {@link validateRule}; start-up and every store change
 * call {@link auditStoredRules}; the frontend chain is ordered with {@link orderByPrecedence}.
 *
 * @module
 */
export { validateRule, type ValidateRuleInput, type ValidateRuleResult } from "./validate.ts";
export { auditStoredRules, type AuditWarning } from "./audit.ts";
export { parseAcl, type ParseResult } from "./parse.ts";
export { memoByObject, memoByText, ruleParser, type RuleParser } from "./memo.ts";
export { renderAcl } from "./render.ts";
export { checkAgainstPolicy, checkedPolicy, DEFAULT_POLICY, parsePolicy, type AclPolicy, type PolicyGrant, type PolicyResult, type PolicyVerdict } from "./policy.ts";
export { checkHijack, type HijackVerdict } from "./hijack.ts";
export { compareRules, findConflicts, type Conflict } from "./conflicts.ts";
export { compareByPrecedence, orderByPrecedence, precedenceKey, reorderByPrecedence, type PrecedenceKey, type RankedRule } from "./precedence.ts";
export type { AclRule, Converter, FetchName, MatchMethod, Subject } from "./model.ts";
export { matchesValue } from "./match.ts";
export { subjectOf } from "./model.ts";
export { describeChar, mapKeyProblem, storedRuleKeyProblem } from "./map-keys.ts";
export { isPublicSuffix } from "./public-suffix.ts";
