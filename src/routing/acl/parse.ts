import { CONVERTERS, FETCHES, FETCH_ALIASES, isLiteralMethod, subjectOf, type AclRule, type Converter, type FetchName, type FetchSpec, type MatchMethod } from "./model.ts";
import { checkPatterns } from "./patterns.ts";
import { tokenise, type Word } from "./tokenise.ts";

/** The outcome of parsing: a rule, or one message naming the offending word and what is allowed. */
export type ParseResult = { ok: true; rule: AclRule } | { ok: false; message: string };

interface Criterion {
  readonly spec: FetchSpec;
  /** Set when a derived keyword such as `path_beg` fixed the method. */
  readonly derivedMethod: MatchMethod | null;
  readonly name: string | null;
  readonly occurrence: number | null;
  readonly converters: readonly Converter[];
}

type Step<T> = { ok: true; value: T } | { ok: false; message: string };

/** Words that would combine criteria in an `if` condition; one service holds one criterion. */
const COMBINERS = new Set(["||", "!", "or", "if", "unless", "&&"]);

/** Flags HAProxy has but a shared rule may not use, with the reason. */
const REFUSED_FLAGS: Readonly<Record<string, string>> = {
  "-f": "it loads patterns from a file on the HAProxy host",
  "-u": "it names an ACL id, which belongs to the template",
  "-M": "it loads a map file",
  "-n": "it only matters for patterns loaded from files",
};

/**
 * Parses one HAProxy ACL criterion (the part after `acl <name>`) into an {@link AclRule}.
 * Never throws; anything not understood comes back as a message.
 *
 * @example parseAcl("hdr(host) -i ghost.local") // { ok: true, rule: { fetch: "hdr", name: "host", method: "str", ... } }
 * @example parseAcl("hdrx(host) a") // { ok: false, message: "unknown fetch 'hdrx(host)' at position 1: ..." }
 */
export function parseAcl(text: string): ParseResult {
  const tokens = tokenise(text);
  if (!tokens.ok) return tokens;
  const words = tokens.words;
  if (words.length === 0) return { ok: false, message: "the rule is empty: write one criterion such as 'hdr(host) -i app.example.com'" };

  const first = words[0]!;
  if (COMBINERS.has(first.text)) return combinerError(first);
  const criterion = parseCriterion(first);
  if (!criterion.ok) return criterion;
  const { spec, derivedMethod } = criterion.value;

  let ignoreCase = false;
  let explicitMethod: MatchMethod | null = null;
  let index = 1;
  for (; index < words.length; index++) {
    const word = words[index]!;
    if (!word.text.startsWith("-") || word.text === "-") break;
    if (word.text === "--") {
      index++;
      break;
    }
    if (word.text === "-i") {
      ignoreCase = true;
      continue;
    }
    if (word.text === "-m") {
      const chosen = parseMethodFlag(words, index, spec, derivedMethod, explicitMethod);
      if (!chosen.ok) return chosen;
      explicitMethod = chosen.value;
      index++;
      continue;
    }
    const reason = REFUSED_FLAGS[word.text];
    if (reason) return { ok: false, message: `flag '${word.text}' at position ${word.position} is not accepted: ${reason}; allowed flags are -i, -m <method> and --` };
    return { ok: false, message: `unknown flag '${word.text}' at position ${word.position}: allowed flags are -i, -m <method> and -- (put -- before a pattern that starts with '-')` };
  }

  const method = explicitMethod ?? derivedMethod ?? spec.defaultMethod;
  if (criterion.value.converters.length > 0 && explicitMethod === null) {
    return { ok: false, message: `converters need an explicit match method: write '${first.text} -m ${method} ...'` };
  }
  const patternWords = words.slice(index);
  for (const word of patternWords) {
    if (COMBINERS.has(word.text)) return combinerError(word);
    if (looksLikeCriterion(word.text)) return { ok: false, message: `'${word.text}' at position ${word.position} looks like a second criterion: a service holds exactly one criterion` };
  }

  const rule: AclRule = {
    fetch: spec.name,
    name: criterion.value.name,
    occurrence: criterion.value.occurrence,
    converters: criterion.value.converters,
    method,
    // Case folding means nothing for presence, lengths or addresses; dropping it keeps one canonical form.
    ignoreCase: ignoreCase && (isLiteralMethod(method) || method === "reg"),
    patterns: patternWords.map((word) => word.text),
  };
  const checked = checkPatterns(rule, subjectOf(rule), patternWords);
  if (!checked.ok) return checked;
  return { ok: true, rule };
}

function combinerError(word: Word): { ok: false; message: string } {
  return { ok: false, message: `'${word.text}' at position ${word.position} would combine conditions: a service holds exactly one criterion, without '||', '!', 'or' or 'if'` };
}

function parseMethodFlag(words: readonly Word[], index: number, spec: FetchSpec, derivedMethod: MatchMethod | null, previous: MatchMethod | null): Step<MatchMethod> {
  const flag = words[index]!;
  const value = words[index + 1];
  const allowed = spec.methods.join(", ");
  if (!value) return { ok: false, message: `'-m' at position ${flag.position} needs a method: one of ${allowed}` };
  if (derivedMethod !== null) {
    return { ok: false, message: `'-m ${value.text}' at position ${flag.position} cannot follow a keyword that already sets the method; write '${spec.name}${spec.arg === "none" ? "" : "(...)"} -m ${value.text}'` };
  }
  if (previous !== null) return { ok: false, message: `a second '-m' at position ${flag.position}: give the match method once` };
  const method = value.text as MatchMethod;
  if (!spec.methods.includes(method)) {
    return { ok: false, message: `unknown or unusable match method '${value.text}' at position ${value.position} for ${spec.name}: allowed methods are ${allowed}` };
  }
  return { ok: true, value: method };
}

/**
 * Parses a fetch keyword on its own, as the ACL policy names them (`path_beg`, `hdr(host)`,
 * `hdr_reg(x-tenant)`): the fetch, the header or parameter name, and the method a derived
 * keyword implies (null for a plain fetch, which may be used with any `-m`).
 */
export function parseFetchKeyword(text: string): { ok: true; fetch: FetchName; name: string | null; method: MatchMethod | null } | { ok: false; message: string } {
  const parsed = parseCriterion({ text, position: 1 });
  if (!parsed.ok) return parsed;
  if (parsed.value.converters.length > 0) return { ok: false, message: `'${text}': a policy names fetches without converters` };
  return { ok: true, fetch: parsed.value.spec.name, name: parsed.value.name, method: parsed.value.derivedMethod };
}

/** `hdr_beg(host),lower` → fetch spec, implied method, argument and converters. */
function parseCriterion(word: Word): Step<Criterion> {
  const match = /^([a-z][a-z0-9_.]*)(?:\(([^()]*)\))?((?:,[a-z0-9_]+)*)$/.exec(word.text);
  const resolved = match ? resolveKeyword(match[1]!) : null;
  if (!match || !resolved) {
    return { ok: false, message: `unknown fetch '${word.text}' at position ${word.position}: allowed fetches are ${allowedFetches()}` };
  }
  const [, keyword, args, convText] = match;
  const { spec, method } = resolved;

  const converters = convText ? convText.slice(1).split(",") : NO_CONVERTERS;
  if (converters.length > 0 && method !== null) {
    return { ok: false, message: `converters cannot follow the derived keyword '${keyword}' at position ${word.position}; write '${spec.name}(...),${converters.join(",")} -m ${method}'` };
  }
  for (const converter of converters) {
    if (!CONVERTERS.includes(converter as Converter)) {
      return { ok: false, message: `unknown converter '${converter}' at position ${word.position}: allowed converters are ${CONVERTERS.join(", ")}` };
    }
  }

  if (spec.arg === "none") {
    if (args !== undefined) return { ok: false, message: `'${keyword}' at position ${word.position} takes no argument in parentheses` };
    return { ok: true, value: { spec, derivedMethod: method, name: null, occurrence: null, converters: converters as Converter[] } };
  }
  const what = spec.arg === "header" ? "a header name" : "a parameter name";
  if (args === undefined || args === "") return { ok: false, message: `'${keyword}' at position ${word.position} needs ${what} in parentheses, e.g. ${keyword}(${spec.arg === "header" ? "host" : "id"})` };
  const [name, occurrence, ...extra] = args.split(",");
  if (!/^[A-Za-z0-9_.-]+$/.test(name!)) {
    return { ok: false, message: `'${name}' in '${word.text}' at position ${word.position} is not ${what}: use letters, digits, '-', '_' and '.'` };
  }
  const occurrenceAllowed = spec.arg === "header" && occurrence !== undefined;
  if (extra.length > 0 || (occurrence !== undefined && (!occurrenceAllowed || !/^-?[0-9]{1,3}$/.test(occurrence)))) {
    return { ok: false, message: `'${word.text}' at position ${word.position}: only ${spec.arg === "header" ? "a header name and an optional occurrence number" : "a parameter name"} may appear in parentheses` };
  }
  return {
    ok: true,
    value: { spec, derivedMethod: method, name: sharedName(name!.toLowerCase()), occurrence: occurrence === undefined ? null : Number(occurrence), converters: converters as Converter[] },
  };
}

/**
 * Parsed rules are kept by the thousand (acl/memo.ts): nearly all convert nothing, and most
 * name the host header. (system/none.ts's list is not imported: acl/ imports only itself.)
 */
const NO_CONVERTERS: readonly string[] = Object.freeze([]);

function sharedName(name: string): string {
  return name === "host" ? "host" : name;
}

/** `path_beg` → path with "beg"; `req.hdr` → hdr with no fixed method; unknown → null. */
function resolveKeyword(keyword: string): { spec: FetchSpec; method: MatchMethod | null } | null {
  // hasOwn: keywords such as "constructor" must not resolve through the prototype.
  const name = Object.hasOwn(FETCH_ALIASES, keyword) ? FETCH_ALIASES[keyword]! : keyword;
  if (Object.hasOwn(FETCHES, name)) return { spec: FETCHES[name as FetchName], method: null };
  for (const spec of Object.values(FETCHES)) {
    for (const [method, derived] of Object.entries(spec.derived)) {
      if (derived === keyword) return { spec, method: method as MatchMethod };
    }
  }
  return null;
}

/** Whether a pattern word is really a fetch keyword, which means two criteria were pasted together. */
function looksLikeCriterion(text: string): boolean {
  const keyword = /^([a-z][a-z0-9_.]*)(\(|$)/.exec(text)?.[1];
  if (keyword === undefined || !/[_.(]/.test(text)) return false;
  return resolveKeyword(keyword) !== null;
}

function allowedFetches(): string {
  const names: string[] = [];
  for (const spec of Object.values(FETCHES)) {
    const arg = spec.arg === "header" ? "(<header>)" : spec.arg === "param" ? "(<name>)" : "";
    names.push(`${spec.name}${arg}`);
    for (const derived of Object.values(spec.derived)) names.push(`${derived}${arg}`);
  }
  names.push("req.hdr(<header>)");
  return names.join(", ");
}
