import type { AclRule, Subject } from "./model.ts";
import { describeChar } from "./map-keys.ts";
import type { Word } from "./tokenise.ts";

export type PatternCheck = { ok: true } | { ok: false; message: string };

const HOST = /^[A-Za-z0-9._:[\]-]*$/;
// RFC 3986 path characters plus '%' for percent-encoding.
const PATH = /^[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$/;
const METHOD = /^[A-Za-z]+$/;
const HOST_CHAR = /[A-Za-z0-9._:[\]-]/;
const PATH_CHAR = /[A-Za-z0-9._~!$&'()*+,;=:@/%-]/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?:\/(?:3[0-2]|[12]?[0-9]))?$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:\/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?$/;
const LENGTH = /^(?:[0-9]{1,6}|[0-9]{1,6}:[0-9]{0,6}|:[0-9]{1,6})$/;

/**
 * Checks every pattern against what its fetch and method can sensibly match, so that a typo
 * (a path without its '/', a shell-style wildcard) is refused instead of silently never matching.
 */
export function checkPatterns(rule: AclRule, subject: Subject, words: readonly Word[]): PatternCheck {
  if (rule.method === "found" || subject === "constant") {
    if (words.length === 0) return { ok: true };
    const what = subject === "constant" ? `'${rule.fetch}'` : "'-m found'";
    return { ok: false, message: `${what} takes no pattern, but '${words[0]!.text}' follows at position ${words[0]!.position}` };
  }
  if (words.length === 0) return { ok: false, message: `the rule has no pattern: write what ${describe(subject)} should match after the fetch and its flags` };
  for (const word of words) {
    const problem = patternProblem(rule, subject, word.text);
    if (problem) return { ok: false, message: `pattern '${word.text}' at position ${word.position}: ${problem}` };
  }
  return { ok: true };
}

function patternProblem(rule: AclRule, subject: Subject, pattern: string): string | null {
  switch (rule.method) {
    case "reg":
      return regexProblem(pattern, rule.ignoreCase);
    case "len":
      return LENGTH.test(pattern) ? null : "a length pattern is a number or a range such as 3:10, :10 or 3:";
    case "ip":
      return IPV4.test(pattern) || IPV6.test(pattern) ? null : "expected an IPv4 or IPv6 address, optionally with /prefix";
    default:
      return literalProblem(rule, subject, pattern);
  }
}

function literalProblem(rule: AclRule, subject: Subject, pattern: string): string | null {
  switch (subject) {
    case "host":
      if (pattern.includes("*")) return "HAProxy patterns are not wildcards; to match every sub-domain write hdr_end(host) -i .example.com";
      return HOST.test(pattern) ? null : `${refused(pattern, HOST_CHAR)}a host name may only contain letters, digits, '.', '-', ':' (port) and brackets (IPv6)`;
    case "path":
      if (pattern.includes("?")) return "the path never contains the query string; match it with url_param(<name>)";
      if (!PATH.test(pattern)) return `${refused(pattern, PATH_CHAR)}a path may only contain URL path characters; percent-encode anything else (a space is %20)`;
      if ((rule.method === "str" || rule.method === "beg") && pattern !== "" && !pattern.startsWith("/")) {
        return `a path always starts with '/': did you mean '/${pattern}'?`;
      }
      return null;
    case "base": {
      const slash = pattern.indexOf("/");
      const host = slash === -1 ? pattern : pattern.slice(0, slash);
      const path = slash === -1 ? "" : pattern.slice(slash);
      if (pattern.includes("?") || pattern.includes("*")) return "base is the host followed by the path, without query string or wildcards";
      if (!HOST.test(host)) return `${refused(host, HOST_CHAR)}base is the host followed by the path, e.g. app.example.com/api`;
      return PATH.test(path) ? null : `${refused(path, PATH_CHAR)}base is the host followed by the path, e.g. app.example.com/api`;
    }
    case "method":
      return METHOD.test(pattern) ? null : "an HTTP method is a word such as GET or POST";
    default:
      // Header and parameter values are free text; the tokeniser already refused what is unsafe.
      return null;
  }
}

/** "the character ' ' (space, U+0020) is not allowed: " for the first character outside `allowed`; host and path patterns become map keys, so the message names it. */
function refused(pattern: string, allowed: RegExp): string {
  for (const char of pattern) if (!allowed.test(char)) return `the character ${describeChar(char)} is not allowed: `;
  return "";
}

/**
 * HAProxy compiles regexes with PCRE; we check them with JavaScript's engine, whose syntax
 * covers the common subset. A regex JavaScript cannot compile is refused rather than guessed at.
 */
function regexProblem(pattern: string, ignoreCase: boolean): string | null {
  if (pattern === "") return null;
  if (/(?:^|[^\\])\(\?(?!:)/.test(pattern)) {
    return "lookarounds, named groups and inline flags are not accepted; use plain groups (...) or (?:...)";
  }
  try {
    new RegExp(pattern, ignoreCase ? "i" : "");
    return null;
  } catch (error) {
    return `not a regex we can check (${(error as Error).message.replace(/^Invalid regular expression: /, "")})`;
  }
}

function describe(subject: Subject): string {
  switch (subject) {
    case "host":
      return "the host";
    case "path":
      return "the path";
    case "base":
      return "host and path";
    case "method":
      return "the method";
    case "src":
      return "the client address";
    default:
      return "the value";
  }
}

/** Compiles a pattern checked by {@link checkPatterns} for matching in JavaScript. */
export function compileRegex(pattern: string, ignoreCase: boolean): RegExp {
  return new RegExp(pattern, ignoreCase ? "i" : "");
}
