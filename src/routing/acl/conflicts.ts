import { exactOverlap } from "./exact-overlap.ts";
import { matchesValue, type MatchOptions } from "./match.ts";
import { subjectOf, type AclRule, type MatchMethod, type Subject } from "./model.ts";
import { candidateStrings, patternSeeds } from "./samples.ts";

/**
 * A clash between a candidate rule and another service's rule.
 * - `same`: both claim the same thing (host `ghost.local`, path prefix `/api`); one of them
 *   would never receive traffic, so this is always refused.
 * - `overlap`: some requests match both (`/api` and `/api/users`, `.example.com` and
 *   `a.example.com`); allowed only when overlaps are explicitly accepted, and then resolved
 *   by precedence.
 */
export interface Conflict {
  readonly otherId: string;
  readonly kind: "same" | "overlap";
  readonly detail: string;
}

/**
 * Every service whose rule clashes with `candidate`'s, sorted by id, `same` before `overlap`
 * for the same service never both. The candidate's own id in `others` is skipped, so an update
 * does not clash with the rule it replaces.
 *
 * Decisions:
 * - Rules about different subjects (a host rule and a path rule, a host and a header) never
 *   clash; precedence decides between them. Host rules and `base` (host+path) rules are
 *   compared, since a `base` rule carves paths out of a host.
 * - Hosts are compared lower-cased, whatever `-i` says; paths honour `-i`.
 * - `path_beg` is a string prefix: `/api` overlaps `/apiv2`. `path_dir` is a segment prefix:
 *   `/api` overlaps `/api/users` but not `/apiv2`.
 * - A rule lists patterns that are ORed; any clashing pair counts.
 * - Overlaps are found from example requests (see `samples.ts`), so each reported overlap is
 *   real; two regexes whose literal parts say nothing about each other are not reported.
 */
export function findConflicts(candidate: { readonly id: string; readonly rule: AclRule }, others: Iterable<readonly [string, AclRule]>): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const [otherId, other] of others) {
    if (otherId === candidate.id) continue;
    const clash = compareRules(candidate.rule, other);
    if (clash) conflicts.push({ otherId, ...clash });
  }
  return conflicts.sort((a, b) => (a.kind === b.kind ? (a.otherId < b.otherId ? -1 : a.otherId > b.otherId ? 1 : 0) : a.kind === "same" ? -1 : 1));
}

/** How two rules clash, or null when no request matches both (as far as the checks can tell). */
export function compareRules(mine: AclRule, theirs: AclRule): { kind: "same" | "overlap"; detail: string } | null {
  const mySubject = subjectOf(mine);
  const theirSubject = subjectOf(theirs);
  if (mySubject === "constant" || theirSubject === "constant") return null;
  if (mySubject === theirSubject) {
    if ((mySubject === "header" || mySubject === "param") && mine.name !== theirs.name) return null;
    const same = sharedPattern(mine, theirs, mySubject);
    if (same !== null) return { kind: "same", detail: `both claim ${describePattern(mine, mySubject, same)}` };
    // Two exact matches compared with the same case rule meet only in a shared pattern: the pair of nearly every installation, 20,000 times a write.
    if (bothExact(mine, theirs) && (mySubject === "host" || mine.ignoreCase === theirs.ignoreCase)) return null;
    return overlapWithin(mine, theirs, mySubject);
  }
  if (mySubject === "host" && theirSubject === "base") return overlapHostBase(mine, theirs, false);
  if (mySubject === "base" && theirSubject === "host") return overlapHostBase(theirs, mine, true);
  return null;
}

/** A pattern both rules hold with the same method, compared as the subject requires. */
function sharedPattern(a: AclRule, b: AclRule, subject: Subject): string | null {
  if (a.method !== b.method || !sameConverters(a, b)) return null;
  if (a.method === "found") return "";
  const fold = subject === "host" || subject === "method" || (a.ignoreCase && b.ignoreCase);
  // Rules hold a pattern or two: comparing pairs allocates nothing, which counts at 20,000 rules per write.
  for (const mine of a.patterns) {
    const myKey = fold ? mine.toLowerCase() : mine;
    for (const theirs of b.patterns) if ((fold ? theirs.toLowerCase() : theirs) === myKey) return mine;
  }
  return null;
}

function bothExact(a: AclRule, b: AclRule): boolean {
  return a.method === "str" && b.method === "str" && a.converters.length === 0 && b.converters.length === 0;
}

function sameConverters(a: AclRule, b: AclRule): boolean {
  if (a.converters.length !== b.converters.length) return false;
  // Almost every rule has none: no callback for 20,000 pairs per write.
  for (let i = 0; i < a.converters.length; i++) if (a.converters[i] !== b.converters[i]) return false;
  return true;
}

function optionsFor(subject: Subject): MatchOptions {
  return subject === "host" ? { foldCase: true, hostDomains: true } : {};
}

function overlapWithin(mine: AclRule, theirs: AclRule, subject: Subject): { kind: "overlap"; detail: string } | null {
  const options = optionsFor(subject);
  for (const myPattern of patternsOf(mine)) {
    for (const theirPattern of patternsOf(theirs)) {
      const exact = exactOverlap(mine, myPattern, theirs, theirPattern, subject);
      if (exact === null) continue;
      const a = single(mine, myPattern);
      const b = single(theirs, theirPattern);
      if (exact !== undefined) {
        return { kind: "overlap", detail: `${describePattern(a, subject, myPattern)} overlaps their ${describePattern(b, subject, theirPattern)}: ${describeSample(subject, exact)} matches both` };
      }
      for (const mySeed of patternSeeds(a, myPattern)) {
        for (const theirSeed of patternSeeds(b, theirPattern)) {
          for (const raw of candidateStrings(mySeed, theirSeed)) {
            const sample = subject === "host" ? raw.toLowerCase() : raw;
            if (matchesValue(a, sample, options) && matchesValue(b, sample, options)) {
              return { kind: "overlap", detail: `${describePattern(a, subject, myPattern)} overlaps their ${describePattern(b, subject, theirPattern)}: ${describeSample(subject, sample)} matches both` };
            }
          }
        }
      }
    }
  }
  return null;
}

/** A host rule and a host+path (`base`) rule clash when the base rule's host is one the host rule matches. */
function overlapHostBase(host: AclRule, base: AclRule, baseIsMine: boolean): { kind: "overlap"; detail: string } | null {
  const hostOptions = optionsFor("host");
  for (const basePattern of patternsOf(base)) {
    const b = single(base, basePattern);
    for (const baseSeed of patternSeeds(b, basePattern)) {
      const slash = baseSeed.indexOf("/");
      const path = slash === -1 ? "/" : baseSeed.slice(slash);
      const seedHost = slash === -1 ? baseSeed : baseSeed.slice(0, slash);
      for (const hostPattern of patternsOf(host)) {
        const h = single(host, hostPattern);
        for (const hostSeed of patternSeeds(h, hostPattern)) {
          for (const candidateHost of candidateStrings(seedHost, hostSeed)) {
            const sample = `${candidateHost.toLowerCase()}${path}`;
            if (matchesValue(h, hostPart(sample), hostOptions) && matchesValue(b, sample)) {
              const hostText = describePattern(h, "host", hostPattern);
              const baseText = describePattern(b, "base", basePattern);
              const detail = baseIsMine ? `${baseText} lies inside their ${hostText}` : `${hostText} covers their ${baseText}`;
              return { kind: "overlap", detail: `${detail}: ${describeSample("base", sample)} matches both` };
            }
          }
        }
      }
    }
  }
  return null;
}

function hostPart(base: string): string {
  const slash = base.indexOf("/");
  return slash === -1 ? base : base.slice(0, slash);
}

/** `-m found` has no patterns; it is compared as one empty pattern. */
function patternsOf(rule: AclRule): readonly string[] {
  return rule.patterns.length === 0 ? [""] : rule.patterns;
}

function single(rule: AclRule, pattern: string): AclRule {
  return rule.patterns.length === 0 ? rule : { ...rule, patterns: [pattern] };
}

const METHOD_WORDS: Readonly<Record<MatchMethod, string>> = {
  str: "",
  beg: "prefix ",
  end: "suffix ",
  sub: "substring ",
  dir: "directory ",
  dom: "domain ",
  reg: "regex ",
  found: "presence",
  len: "length ",
  ip: "network ",
};

/** `host suffix '.example.com'`, `path prefix '/api'`, `header x-tenant presence`. */
export function describePattern(rule: AclRule, subject: Subject, pattern: string): string {
  const what = subject === "header" ? `header ${rule.name}` : subject === "param" ? `parameter ${rule.name}` : subject === "base" ? "host and path" : subject === "src" ? "client" : subject;
  if (rule.method === "found") return `${what} presence`;
  return `${what} ${METHOD_WORDS[rule.method]}'${pattern}'`;
}

function describeSample(subject: Subject, sample: string): string {
  switch (subject) {
    case "host":
      return `a request for host '${sample}'`;
    case "path":
      return `a request for path '${sample}'`;
    case "base":
      return `a request for '${sample}'`;
    default:
      return `a request with value '${sample}'`;
  }
}
