import { matchesValue } from "./match.ts";
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

/** Two-label public suffixes under which unrelated organisations register names. */
const SHARED_SUFFIXES = new Set(["co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.jp", "co.nz", "co.za", "com.br", "com.cn", "co.in", "com.mx"]);

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
  if (rule.fetch === "always_true") return refuse("always_true matches every request and would take all traffic from every other app");
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
  }

  for (const pattern of rule.patterns) {
    const problem = patternHijacks(rule, subject, pattern);
    if (problem) return refuse(`pattern '${pattern}' ${problem}`);
  }
  return { ok: true };
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
  const tooShort = labels.length < 2 || SHARED_SUFFIXES.has(labels.join("."));
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
