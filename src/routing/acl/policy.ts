import { FETCHES, subjectOf, type AclRule, type FetchName, type MatchMethod, type Subject } from "./model.ts";
import { parseFetchKeyword } from "./parse.ts";

/**
 * What the rules of one bamboo installation may match on.
 *
 * Policy syntax (suggested setting `BAMBOO_ACL_POLICY`): a comma-separated list of terms,
 * whitespace around terms ignored, words case-insensitive. An empty text means `default`.
 *
 * | term | allows |
 * |---|---|
 * | `default` | `host,path,header` |
 * | `host` | `hdr(host)` and `hdr_beg/_end/_dom/_sub/_dir(host)` (and `-m` with those methods) |
 * | `path` | `path`, `path_beg`, `path_end`, `path_dir`; on its own: "only match on paths" |
 * | `header` | any other header: `hdr(<name>)`, its `_beg/_end/_sub/_dir/_dom` forms and `-m found` |
 * | `base` | host and path together: `base`, `base_beg`, `base_dir` |
 * | `param` | `url_param(<name>)` with the same methods as `header` |
 * | `method`, `src` | the HTTP method; the client address |
 * | `regex` | the regex form (`_reg`, `-m reg`) of whatever else is allowed |
 * | `all` | every word above, regex included (Bamboo's behaviour, still hijack-checked) |
 * | a fetch keyword | exactly that keyword: `path_beg`, `hdr_end(host)`, `path_reg`, `hdr(x-tenant)`; `hdr(*)` is any header but host; a plain fetch (`hdr(host)`, `path`) allows every non-regex `-m` method |
 *
 * @example parsePolicy("path") // only path rules
 * @example parsePolicy("default, regex") // hosts, paths, headers, and their regex forms
 * @example parsePolicy("hdr(host), path_beg") // exact hosts and path prefixes only
 */
export interface AclPolicy {
  readonly grants: readonly PolicyGrant[];
  /** Regex matching is allowed for every granted subject. */
  readonly regex: boolean;
  /** The canonical text of the policy, for messages and status pages. */
  readonly text: string;
}

/** Permission to match `subject` (a given header or parameter, or any when `name` is null) with `methods`. */
export interface PolicyGrant {
  readonly subject: Subject;
  readonly name: string | null;
  readonly methods: readonly MatchMethod[];
}

export type PolicyResult = { ok: true; policy: AclPolicy } | { ok: false; message: string };
export type PolicyVerdict = { ok: true } | { ok: false; message: string };

const HOST_METHODS: readonly MatchMethod[] = ["str", "beg", "end", "dom", "sub", "dir"];
const PATH_METHODS: readonly MatchMethod[] = ["str", "beg", "end", "dir"];
const VALUE_METHODS: readonly MatchMethod[] = ["str", "beg", "end", "sub", "dir", "dom", "found"];

const WORDS: Readonly<Record<string, readonly PolicyGrant[]>> = {
  host: [{ subject: "host", name: null, methods: HOST_METHODS }],
  path: [{ subject: "path", name: null, methods: PATH_METHODS }],
  header: [{ subject: "header", name: null, methods: VALUE_METHODS }],
  base: [{ subject: "base", name: null, methods: ["str", "beg", "dir"] }],
  param: [{ subject: "param", name: null, methods: VALUE_METHODS }],
  method: [{ subject: "method", name: null, methods: ["str"] }],
  src: [{ subject: "src", name: null, methods: ["ip"] }],
};

const DEFAULT_TERMS = ["host", "path", "header"];
/** Every word BAMBOO_ACL_POLICY takes besides fetch names; the docs list them all (test/cli/docs-agree.test.ts). */
export const POLICY_WORDS: readonly string[] = ["default", ...Object.keys(WORDS), "regex", "all"];
const WORD_LIST = POLICY_WORDS.join(", ");

/** The policy used when none is configured: hosts, paths and headers, no regex. */
export const DEFAULT_POLICY: AclPolicy = buildPolicy(DEFAULT_TERMS.flatMap((word) => WORDS[word]!), false, "default");

/** Parses a policy setting; see {@link AclPolicy} for the syntax. */
export function parsePolicy(text: string): PolicyResult {
  const terms = text.split(",").map((term) => term.trim());
  if (terms.every((term) => term === "")) return { ok: true, policy: DEFAULT_POLICY };
  const grants: PolicyGrant[] = [];
  let regex = false;
  for (const [index, term] of terms.entries()) {
    const where = `term ${index + 1}`;
    if (term === "") return { ok: false, message: `${where} of the ACL policy is empty: separate terms with single commas` };
    const word = term.toLowerCase();
    if (word === "default") grants.push(...DEFAULT_TERMS.flatMap((name) => WORDS[name]!));
    else if (word === "regex") regex = true;
    else if (word === "all") {
      grants.push(...Object.values(WORDS).flat());
      regex = true;
    } else if (Object.hasOwn(WORDS, word)) grants.push(...WORDS[word]!);
    else {
      const grant = keywordGrant(term);
      if (!grant.ok) return { ok: false, message: `${where} of the ACL policy, '${term}': ${grant.message}; policy words are ${WORD_LIST}, or fetch keywords such as hdr(host), path_beg, hdr(x-tenant), hdr(*)` };
      grants.push(grant.grant);
    }
  }
  return { ok: true, policy: buildPolicy(grants, regex, terms.join(",")) };
}

/** `path_beg` → path with beg; `hdr(*)` → any header; `hdr(host)` → host with every non-regex method. */
function keywordGrant(term: string): { ok: true; grant: PolicyGrant } | { ok: false; message: string } {
  const wildcard = /^([^()]+)\(\*\)$/.exec(term);
  const parsed = parseFetchKeyword(wildcard ? `${wildcard[1]}(any)` : term);
  if (!parsed.ok) {
    // The parser's list of every fetch would drown the list of policy words that follows.
    const message = parsed.message.startsWith("unknown fetch") ? "not a policy word or a fetch keyword bamboo knows" : parsed.message.replace(/ at position 1/, "");
    return { ok: false, message };
  }
  const name = wildcard ? null : parsed.name;
  const subject = subjectOf({ fetch: parsed.fetch, name: wildcard ? null : parsed.name });
  if (subject === "constant") return { ok: false, message: `${parsed.fetch} can never be allowed` };
  if (wildcard && subject !== "header" && subject !== "param") return { ok: false, message: "only header and parameter names can be '*'" };
  const methods = parsed.method !== null ? [parsed.method] : defaultMethods(subject, parsed.fetch);
  return { ok: true, grant: { subject, name: subject === "host" ? null : name, methods } };
}

function defaultMethods(subject: Subject, fetch: FetchName): readonly MatchMethod[] {
  if (subject === "host" || subject === "path" || subject === "base") return HOST_METHODS;
  return FETCHES[fetch].methods.filter((method) => method !== "reg" && method !== "len");
}

function buildPolicy(grants: readonly PolicyGrant[], regex: boolean, text: string): AclPolicy {
  return Object.freeze({ grants: Object.freeze([...grants]), regex, text });
}

/**
 * Whether `policy` allows `rule`; if not, the message names what the rule uses and what the
 * policy allows.
 *
 * @example checkAgainstPolicy(parseAcl("hdr(host) -i a.com").rule, parsePolicy("path").policy)
 *   // { ok: false, message: "hdr(host) rules are not allowed by the ACL policy 'path': allowed are path, path_beg, path_end, path_dir" }
 */
export function checkAgainstPolicy(rule: AclRule, policy: AclPolicy): PolicyVerdict {
  const subject = subjectOf(rule);
  const covering = policy.grants.filter((grant) => grant.subject === subject && (grant.name === null || grant.name === rule.name));
  if (covering.some((grant) => grant.methods.includes(rule.method))) return { ok: true };
  const used = describeRule(rule);
  if (rule.method === "reg" && covering.length > 0 && policy.regex) return { ok: true };
  if (rule.method === "reg" && covering.length > 0) {
    return { ok: false, message: `regex matching (${used}) is not allowed by the ACL policy '${policy.text}': add 'regex' to the policy, or use ${allowedList(covering)}` };
  }
  return { ok: false, message: `${used} rules are not allowed by the ACL policy '${policy.text}': allowed are ${allowedList(policy.grants)}${policy.regex ? " and their regex forms" : ""}` };
}

function describeRule(rule: AclRule): string {
  const spec = FETCHES[rule.fetch];
  const arg = rule.name === null ? "" : `(${rule.name})`;
  const derived = spec.derived[rule.method];
  if (derived) return `${derived}${arg}`;
  return rule.method === spec.defaultMethod ? `${spec.name}${arg}` : `${spec.name}${arg} -m ${rule.method}`;
}

/** Grants spelled as the keywords a user would write, in policy order, without repeats. */
function allowedList(grants: readonly PolicyGrant[]): string {
  const keywords = new Set<string>();
  for (const grant of grants) {
    const fetch = FETCH_BY_SUBJECT[grant.subject];
    const spec = FETCHES[fetch];
    const arg = grant.subject === "host" ? "(host)" : grant.subject === "header" || grant.subject === "param" ? `(${grant.name ?? "<name>"})` : "";
    for (const method of grant.methods) {
      const derived = spec.derived[method];
      if (method === spec.defaultMethod) keywords.add(`${spec.name}${arg}`);
      else keywords.add(derived ? `${derived}${arg}` : `${spec.name}${arg} -m ${method}`);
    }
  }
  return keywords.size === 0 ? "nothing" : [...keywords].join(", ");
}

const FETCH_BY_SUBJECT: Readonly<Record<Subject, FetchName>> = {
  host: "hdr",
  header: "hdr",
  path: "path",
  base: "base",
  param: "url_param",
  method: "method",
  src: "src",
  constant: "always_true",
};

/**
 * BAMBOO_ACL_POLICY as serve and the commands use it: checked already when the configuration
 * was read (src/cli/read-config.ts), so a refusal here is a bug, not a user's typo.
 */
export function checkedPolicy(text: string): AclPolicy {
  const parsed = parsePolicy(text);
  if (!parsed.ok) throw new Error(`BAMBOO_ACL_POLICY: ${parsed.message}`);
  return parsed.policy;
}
