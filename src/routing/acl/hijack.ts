import { matchesValue } from "./match.ts";
import { isPublicSuffix } from "./public-suffix.ts";
import { isLiteralMethod, subjectOf, type AclRule, type Subject } from "./model.ts";

/** The verdict of {@link checkHijack}. */
export type HijackVerdict = { ok: true } | { ok: false; message: string };

/**
 * Sample requests a shared rule must not match all of. A rule that matches each of these
 * would take traffic from every other team's app, whatever its pattern looks like, which is
 * how regexes such as `.*`, `^/` or `.+` are caught without listing them.
 */
const PANELS: Readonly<Partial<Record<Subject, readonly string[]>>> = {
  path: ["/", "/index.html", "/api/v1/users", "/static/app.js", "/a", "/Zz9/-_.~", "/health", "/favicon.ico", "/x/y/z/"],
  host: ["example.com", "www.example.org", "shop.example.co.uk", "localhost", "10.1.2.3", "a.b.c.d.net:8080", "ghost.local", "x"],
  base: ["example.com/", "www.example.org/index.html", "shop.example.co.uk/api/v1", "localhost/a", "10.1.2.3/health", "ghost.local/x/y/"],
  header: ["a", "value", "1", "Mozilla/5.0 (X11)", "acme-corp", "x y"],
  param: ["a", "value", "1", "acme-corp", "x y"],
};

/** Headers nearly every request carries: their mere presence says nothing about which app is asked for. */
const EVERYDAY_HEADERS = new Set(["host", "user-agent", "accept", "accept-encoding", "accept-language", "connection", "cache-control", "x-forwarded-for", "x-forwarded-proto", "x-real-ip", "upgrade-insecure-requests", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-dest", "referer", "cookie", "content-length", "content-type", "pragma", "te"]);

/** Methods HAProxy answers for nearly every request, so routing on them alone takes everyone's traffic. */
const COMMON_METHODS = new Set(["GET", "HEAD", "POST"]);

/**
 * Refuses a rule that matches every request or nearly every one: `always_true`, `path_beg /`,
 * `path_dir /`, an empty pattern, presence or length of the host or path, a top-level-domain
 * host suffix (`hdr_end(host) -i com`, `hdr_dom(host) -i co.uk`), any pattern that matches every
 * sample request in {@link PANELS} (`path_reg .*`), `method GET`, `src 0.0.0.0/0`.
 */
export function checkHijack(rule: AclRule): HijackVerdict {
  const subject = subjectOf(rule);
  const refuse = (message: string): HijackVerdict => ({ ok: false, message });
  if (rule.fetch === "always_true") return refuse("always_true matches every request");
  if (rule.fetch === "always_false") return refuse("always_false never matches; delete the service instead");

  const mainSubject = subject === "host" || subject === "path" || subject === "base";
  if (mainSubject && rule.method === "found") return refuse(`'-m found' on ${describe(subject)} matches every request: every request has one`);
  if (subject === "header" && rule.method === "found" && rule.name !== null && EVERYDAY_HEADERS.has(rule.name)) {
    return refuse(`'-m found' on the ${rule.name} header matches nearly every request: browsers and clients send it`);
  }
  if (mainSubject && rule.method === "len") return refuse(`matching the length of ${describe(subject)} says nothing about which app is asked for and matches nearly every request`);
  if (subject === "method") {
    const common = rule.patterns.find((pattern) => COMMON_METHODS.has(pattern.toUpperCase()));
    if (common) return refuse(`method ${common} alone matches most traffic of every app; combine the method with a host or path in your app instead`);
  }
  if (subject === "src") {
    const broad = rule.patterns.find((pattern) => prefixLength(pattern) < 8);
    if (broad) return refuse(`the network '${broad}' is so wide that it matches nearly every client`);
    // Several networks can cover what no one of them does: 0.0.0.0/1 and 128.0.0.0/1.
    if (rule.patterns.length > 1 && networksTooWide(rule.patterns)) return refuse("together these networks are wider than a /8, so they match nearly every client");
  }

  for (const pattern of rule.patterns) {
    const problem = patternHijacks(rule, subject, pattern);
    if (problem) return refuse(`pattern '${pattern}' ${problem}`);
  }
  // Patterns that each look narrow can still cover nearly everything together (a prefix per first character).
  const coverage = rule.patterns.length > 1 ? panelCoverage(rule, subject) : null;
  if (coverage) return refuse(coverage);
  return { ok: true };
}

/** Characters a path or host starts with, for panels wide enough that a list of prefixes cannot cover them by accident. */
const FIRST_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";

/** Samples per subject for whole-rule coverage: the fixed panel and one sample per first character. */
function widePanel(subject: Subject): readonly string[] | null {
  const panel = PANELS[subject];
  if (!panel) return null;
  const characters = [...FIRST_CHARACTERS];
  if (subject === "path") return [...panel, ...characters.map((c) => `/${c}${c}/${c}`)];
  if (subject === "host") return [...panel, ...characters.filter((c) => /[a-z0-9]/i.test(c)).map((c) => `${c}${c}.example.net`)];
  if (subject === "base") return [...panel, ...characters.map((c) => `${c === "." || c === "-" || c === "~" ? "x" : c}host.example/${c}`)];
  return [...panel, ...characters.map((c) => `${c}value`)];
}

/** Refuses a rule that matches half or more of its subject's wide panel, naming how much. */
function panelCoverage(rule: AclRule, subject: Subject): string | null {
  const panel = widePanel(subject);
  if (!panel) return null;
  const foldCase = subject === "host";
  const matched = panel.filter((sample) => matchesValue(rule, sample, { foldCase, hostDomains: foldCase }));
  if (matched.length * 2 < panel.length) return null;
  return `together these patterns match ${matched.length} of the ${panel.length} sample ${plural(subject)} we tried (${matched.slice(0, 3).map((sample) => `'${sample}'`).join(", ")}, ...)`;
}

/** Whether the union of the networks covers more addresses than a /8 of its address family. */
function networksTooWide(patterns: readonly string[]): boolean {
  const byFamily = new Map<4 | 6, [bigint, bigint][]>();
  for (const pattern of patterns) {
    const range = networkRange(pattern);
    if (range === null) continue;
    byFamily.set(range.family, [...(byFamily.get(range.family) ?? []), [range.first, range.last]]);
  }
  for (const [family, ranges] of byFamily) {
    const limit = 1n << BigInt(family === 4 ? 24 : 120);
    if (mergedSize(ranges) > limit) return true;
  }
  return false;
}

function mergedSize(ranges: [bigint, bigint][]): bigint {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let total = 0n;
  let current: [bigint, bigint] | null = null;
  for (const [first, last] of sorted) {
    if (current !== null && first <= current[1] + 1n) current[1] = last > current[1] ? last : current[1];
    else {
      if (current !== null) total += current[1] - current[0] + 1n;
      current = [first, last];
    }
  }
  return current === null ? total : total + current[1] - current[0] + 1n;
}

/** The first and last address of `address[/bits]`, or null when it is not an address bamboo reads. */
function networkRange(pattern: string): { family: 4 | 6; first: bigint; last: bigint } | null {
  const [address, bitsText] = pattern.split("/");
  const value = ipv4Value(address!) ?? ipv6Value(address!);
  if (value === null) return null;
  const family = address!.includes(":") ? 6 : 4;
  const width = family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return null;
  const size = 1n << BigInt(width - bits);
  const first = (value / size) * size;
  return { family, first, last: first + size - 1n };
}

function ipv4Value(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((part) => !/^[0-9]{1,3}$/.test(part) || Number(part) > 255)) return null;
  return parts.reduce((sum, part) => sum * 256n + BigInt(part), 0n);
}

function ipv6Value(text: string): bigint | null {
  if (!/^[0-9a-f:]+$/i.test(text) || (text.match(/::/g) ?? []).length > 1) return null;
  const [head, tail] = text.includes("::") ? text.split("::") : [text, null];
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(head!);
  const right = tail === null ? [] : groups(tail!);
  const missing = 8 - left.length - right.length;
  if ((tail === null && missing !== 0) || missing < 0) return null;
  const all = [...left, ...Array.from({ length: missing }, () => "0"), ...right];
  if (all.some((group) => !/^[0-9a-f]{1,4}$/i.test(group))) return null;
  return all.reduce((sum, group) => sum * 65536n + BigInt(`0x${group}`), 0n);
}

function patternHijacks(rule: AclRule, subject: Subject, pattern: string): string | null {
  if (isLiteralMethod(rule.method)) {
    const meaningful = rule.method === "dir" || rule.method === "dom" ? pattern.replace(/[/?.:]/g, "") : pattern;
    if (meaningful === "" && (subject === "host" || subject === "path" || subject === "base" || rule.method !== "str")) {
      return `is empty once delimiters are removed, so it matches every ${describe(subject)}`;
    }
    if (subject === "host") {
      const problem = hostHijacks(rule, pattern);
      if (problem) return problem;
    }
    if (subject === "path" && (rule.method === "sub" || rule.method === "end") && pattern.length < 2) {
      return `is a single character, so it matches nearly every path`;
    }
  }
  const panel = PANELS[subject];
  if (!panel) return null;
  const single: AclRule = { ...rule, patterns: [pattern] };
  const foldCase = subject === "host";
  if (panel.every((sample) => matchesValue(single, sample, { foldCase, hostDomains: foldCase }))) {
    return `matches every ${describe(subject)} we tried (${panel.slice(0, 3).map((sample) => `'${sample}'`).join(", ")}, ...)`;
  }
  return null;
}

/** Host suffixes and domains must name a registrable domain, not a top-level or shared suffix. */
function hostHijacks(rule: AclRule, pattern: string): string | null {
  const labels = pattern.toLowerCase().replace(/:[0-9]*$/, "").split(".").filter((label) => label !== "");
  if (labels.length === 0 && rule.method !== "str" && rule.method !== "dir") return "names no domain at all, only delimiters; name your own domain, e.g. .example.com";
  const tooShort = isPublicSuffix(labels.join("."));
  if ((rule.method === "end" || rule.method === "dom") && tooShort) {
    return `names only a top-level or shared suffix, so it matches every host under '.${labels.join(".")}'; name your own domain, e.g. .example.com`;
  }
  if (rule.method === "sub" && tooShort) return "is too short a piece of a host name: it matches hosts of unrelated sites";
  if (rule.method === "beg" && pattern.replace(/[.-]/g, "").length < 2) return "is too short a host prefix: it matches hosts of unrelated sites";
  return null;
}

function prefixLength(pattern: string): number {
  const [address, bits] = pattern.split("/");
  if (bits !== undefined) return Number(bits);
  return address!.includes(":") ? 128 : 32;
}

function plural(subject: Subject): string {
  return subject === "base" ? "hosts and paths" : subject === "param" ? "parameter values" : `${describe(subject)}s`;
}

function describe(subject: Subject): string {
  switch (subject) {
    case "host":
      return "host";
    case "path":
      return "path";
    case "base":
      return "host and path";
    case "param":
      return "parameter value";
    default:
      return "value";
  }
}
