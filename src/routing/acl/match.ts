import type { AclRule, MatchMethod } from "./model.ts";
import { compileRegex } from "./patterns.ts";

/**
 * Evaluates rules against sample values in JavaScript, so that the hijack and conflict checks
 * can ask "would this rule match that request?". It follows HAProxy's matching (section 7.1.3 of
 * its manual) with two deliberate changes toward what rule authors mean, because those are
 * the cases the checks reason about:
 *
 * - `dir` is a segment prefix: `path_dir /api` matches `/api` and `/api/...`. HAProxy also
 *   matches the segment deeper in the path (`/v1/api/x`); counting that would make every two
 *   `path_dir` rules "overlap".
 * - `dom` on a host is the domain and its sub-domains: `hdr_dom(host) example.com` matches
 *   `example.com` and `a.example.com`, ignoring a `:port`.
 *
 * @module
 */

export interface MatchOptions {
  /** Compare case-insensitively whatever the rule says; hosts are compared this way. */
  readonly foldCase?: boolean;
  /** Read `dom` as a host name (domain and sub-domains) rather than delimited words. */
  readonly hostDomains?: boolean;
}

/**
 * Whether `rule` matches a request whose fetched sample is `value` (undefined: the header or
 * parameter is absent, which no pattern matches).
 */
export function matchesValue(rule: AclRule, value: string | undefined, options: MatchOptions = {}): boolean {
  if (rule.fetch === "always_true") return true;
  if (rule.fetch === "always_false" || value === undefined) return false;
  if (rule.method === "found") return true;
  const sample = convert(rule, value);
  if (rule.method === "reg") return regexes(rule, options.foldCase === true).some((regex) => regex.test(sample));
  if (rule.method === "len") return rule.patterns.some((pattern) => inLengthRange(sample.length, pattern));
  if (rule.method === "ip") return rule.patterns.some((pattern) => ipMatches(sample, pattern));
  const fold = rule.ignoreCase || options.foldCase === true;
  const subject = fold ? sample.toLowerCase() : sample;
  return rule.patterns.some((pattern) => literalMatches(rule.method, fold ? pattern.toLowerCase() : pattern, subject, options.hostDomains === true));
}

/** One literal pattern against one sample, both already case-folded when needed. */
export function literalMatches(method: MatchMethod, pattern: string, sample: string, hostDomains = false): boolean {
  switch (method) {
    case "str":
      return sample === pattern;
    case "beg":
      return sample.startsWith(pattern);
    case "end":
      return sample.endsWith(pattern);
    case "sub":
      return sample.includes(pattern);
    case "dir": {
      const segment = trimDelimiters(pattern, "/");
      if (segment === "") return sample.startsWith("/");
      const prefix = `/${segment}`;
      const path = sample.startsWith("/") ? sample : `/${sample}`;
      return path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`);
    }
    case "dom": {
      const domain = trimDelimiters(pattern, "./:");
      if (hostDomains) {
        const host = sample.replace(/:[0-9]*$/, "");
        return host === domain || host.endsWith(`.${domain}`);
      }
      return matchDelimitedWord(sample, domain, "/?.:");
    }
    default:
      return false;
  }
}

/** HAProxy's word match: `word` appears bounded by a delimiter or an end of `sample`. */
function matchDelimitedWord(sample: string, word: string, delimiters: string): boolean {
  if (word === "") return true;
  for (let at = sample.indexOf(word); at !== -1; at = sample.indexOf(word, at + 1)) {
    const before = at === 0 || delimiters.includes(sample[at - 1]!);
    const afterIndex = at + word.length;
    const after = afterIndex === sample.length || delimiters.includes(sample[afterIndex]!);
    if (before && after) return true;
  }
  return false;
}

function trimDelimiters(text: string, delimiters: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && delimiters.includes(text[start]!)) start++;
  while (end > start && delimiters.includes(text[end - 1]!)) end--;
  return text.slice(start, end);
}

function convert(rule: AclRule, value: string): string {
  let sample = value;
  for (const converter of rule.converters) {
    if (converter === "lower") sample = sample.toLowerCase();
    else if (converter === "upper") sample = sample.toUpperCase();
    else sample = safeDecode(sample);
  }
  return sample;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// Compiled at each use: a few microseconds, and only rules of the opt-in `regex` policy (or
// stored by another tool) have any; a cache would be state this pure module must not keep.
function regexes(rule: AclRule, foldCase: boolean): readonly RegExp[] {
  return rule.patterns.map((pattern) => compileRegex(pattern, rule.ignoreCase || foldCase));
}

function inLengthRange(length: number, pattern: string): boolean {
  const [low, high] = pattern.includes(":") ? pattern.split(":") : [pattern, pattern];
  const min = low === "" ? 0 : Number(low);
  const max = high === "" ? Infinity : Number(high);
  return length >= min && length <= max;
}

/** IPv4 networks are compared numerically; IPv6 only by exact text, which is all the checks need. */
function ipMatches(address: string, pattern: string): boolean {
  const [network, bits] = pattern.split("/");
  const a = ipv4ToNumber(address);
  const n = ipv4ToNumber(network!);
  if (a === null || n === null) return address === pattern;
  const prefix = bits === undefined ? 32 : Number(bits);
  if (prefix === 0) return true;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return ((a & mask) >>> 0) === ((n & mask) >>> 0);
}

function ipv4ToNumber(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((part) => !/^[0-9]{1,3}$/.test(part))) return null;
  return parts.reduce((sum, part) => sum * 256 + Number(part), 0);
}
