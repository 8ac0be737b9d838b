/**
 * Our own model of one HAProxy ACL criterion (`hdr(host) -i ghost.local`). A rule written
 * through the API is parsed into this model and rendered back from it, so no text a user
 * typed reaches the HAProxy config verbatim.
 *
 * @module
 */

/** HAProxy's pattern matching methods (`-m <method>`) that bamboo understands. */
export type MatchMethod = "str" | "beg" | "end" | "sub" | "dir" | "dom" | "reg" | "found" | "len" | "ip";

/** The sample fetches bamboo understands. `req.hdr` is read as `hdr`: in a request rule they are the same fetch. */
export type FetchName = "hdr" | "path" | "base" | "url_param" | "method" | "src" | "always_true" | "always_false";

/** Converters that only change case or decoding, so they cannot turn a rule into something else. */
export type Converter = "lower" | "upper" | "url_dec";

/**
 * What part of a request a rule looks at. Rules about different subjects never conflict:
 * a host rule and a path rule answer different questions, and precedence orders them.
 */
export type Subject = "host" | "path" | "base" | "header" | "param" | "method" | "src" | "constant";

/** One parsed criterion. Immutable; build it only through `parseAcl`. */
export interface AclRule {
  readonly fetch: FetchName;
  /** Header or URL parameter name, lower-cased (HTTP header names are case-insensitive); null when the fetch takes none. */
  readonly name: string | null;
  /** `hdr(name,occ)`: which occurrence of a repeated header; null for HAProxy's default. */
  readonly occurrence: number | null;
  readonly converters: readonly Converter[];
  /** The effective method, whether it came from `-m` or from a derived keyword such as `path_beg`. */
  readonly method: MatchMethod;
  /** `-i`: patterns match case-insensitively. */
  readonly ignoreCase: boolean;
  /** One or more patterns, any of which matching makes the rule match. Empty only for `found` and constant fetches. */
  readonly patterns: readonly string[];
}

/** What HAProxy allows for one fetch, and how it is spelled. */
export interface FetchSpec {
  readonly name: FetchName;
  /** Whether the fetch takes a name in parentheses (`hdr(host)`, `url_param(id)`). */
  readonly arg: "header" | "param" | "none";
  /** Method used when neither `-m` nor a derived keyword says otherwise. */
  readonly defaultMethod: MatchMethod;
  /** Methods this fetch may be used with. */
  readonly methods: readonly MatchMethod[];
  /** Derived keywords (`path_beg`) by the method they imply. */
  readonly derived: Readonly<Partial<Record<MatchMethod, string>>>;
}

const STRING_METHODS: readonly MatchMethod[] = ["str", "beg", "end", "sub", "dir", "dom", "reg", "found", "len"];

function derivedFor(prefix: string): Partial<Record<MatchMethod, string>> {
  return {
    beg: `${prefix}_beg`,
    end: `${prefix}_end`,
    sub: `${prefix}_sub`,
    dir: `${prefix}_dir`,
    dom: `${prefix}_dom`,
    reg: `${prefix}_reg`,
    len: `${prefix}_len`,
  };
}

/** Every fetch bamboo accepts, by name. Anything else is refused by the parser. */
export const FETCHES: Readonly<Record<FetchName, FetchSpec>> = {
  hdr: { name: "hdr", arg: "header", defaultMethod: "str", methods: STRING_METHODS, derived: derivedFor("hdr") },
  path: { name: "path", arg: "none", defaultMethod: "str", methods: STRING_METHODS, derived: derivedFor("path") },
  base: { name: "base", arg: "none", defaultMethod: "str", methods: STRING_METHODS, derived: derivedFor("base") },
  url_param: { name: "url_param", arg: "param", defaultMethod: "str", methods: STRING_METHODS, derived: {} },
  // HAProxy matches methods with its own method matcher; "str" is the closest of ours and -m is refused.
  method: { name: "method", arg: "none", defaultMethod: "str", methods: ["str"], derived: {} },
  src: { name: "src", arg: "none", defaultMethod: "ip", methods: ["ip"], derived: {} },
  always_true: { name: "always_true", arg: "none", defaultMethod: "found", methods: ["found"], derived: {} },
  always_false: { name: "always_false", arg: "none", defaultMethod: "found", methods: ["found"], derived: {} },
};

/** Spellings accepted for a fetch that render under another name. */
export const FETCH_ALIASES: Readonly<Record<string, FetchName>> = { "req.hdr": "hdr" };

export const CONVERTERS: readonly Converter[] = ["lower", "upper", "url_dec"];

/** Which part of the request a rule looks at; `hdr(host)` is the host, any other header a header. */
export function subjectOf(rule: Pick<AclRule, "fetch" | "name">): Subject {
  switch (rule.fetch) {
    case "hdr":
      return rule.name === "host" ? "host" : "header";
    case "path":
      return "path";
    case "base":
      return "base";
    case "url_param":
      return "param";
    case "method":
      return "method";
    case "src":
      return "src";
    case "always_true":
    case "always_false":
      return "constant";
  }
}

/** Methods whose patterns are literal strings compared one way or another (not regex, length, presence or address). */
export function isLiteralMethod(method: MatchMethod): boolean {
  return method === "str" || method === "beg" || method === "end" || method === "sub" || method === "dir" || method === "dom";
}
