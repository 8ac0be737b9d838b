import { describe, expect, test } from "bun:test";
import { checkHijack } from "../../src/routing/acl/hijack.ts";
import { parseAcl } from "../../src/routing/acl/parse.ts";

function hijack(acl: string) {
  const parsed = parseAcl(acl);
  if (!parsed.ok) throw new Error(`test rule does not parse: ${parsed.message}`);
  return checkHijack(parsed.rule);
}

describe("checkHijack refuses a rule that takes everyone's traffic", () => {
  test.each([
    ["the root path prefix", "path_beg -i /", "matches every path"],
    ["the root path prefix written with -m beg", "path -m beg /", "matches every path"],
    ["the root directory", "path_dir /", "is empty once delimiters are removed"],
    ["an empty path prefix", "path_beg ''", "matches every path"],
    ["an empty path suffix", `path_end ""`, "matches every path"],
    ["a one-character path suffix", "path_end /", "a single character"],
    ["a one-character path substring", "path_sub a", "a single character"],
    ["an empty host", "hdr(host) -i ''", "is empty"],
    ["any request with a host", "hdr(host) -m found", "'-m found' on host matches every request"],
    ["any request with a path", "path -m found", "every request has one"],
    ["a host length range", "hdr(host) -m len 1:255", "length of host"],
    ["a host length keyword", "hdr_len(host) 3:", "length of host"],
    ["a match-all regex on paths", "path_reg .*", "matches every path we tried"],
    ["an anchored match-all regex", "path_reg ^.*$", "matches every path"],
    ["a one-or-more regex", "path_reg .+", "matches every path"],
    ["a regex for any absolute path", "path_reg ^/", "matches every path"],
    ["a match-all regex on hosts", "hdr_reg(host) -i .*", "matches every host"],
    ["a match-all regex through -m reg", "hdr(host) -m reg ^.+$", "matches every host"],
    ["a match-all regex on host and path", "base_reg .", "matches every host and path"],
    ["any header value by regex", "hdr_reg(x-tenant) .*", "matches every value"],
    ["always_true", "always_true", "always_true matches every request"],
    ["always_false, which can only be a mistake", "always_false", "never matches"],
    ["a bare dot as host suffix", "hdr_end(host) -i .", "names no domain at all"],
    ["a top-level domain as host suffix", "hdr_end(host) -i com", "top-level or shared suffix, so it matches every host under '.com'"],
    ["a dotted top-level domain as host suffix", "hdr_end(host) -i .com", "under '.com'"],
    ["a shared second-level suffix", "hdr_end(host) -i .co.uk", "under '.co.uk'"],
    ["a top-level domain as host domain", "hdr_dom(host) -i com", "under '.com'"],
    ["a short host substring", "hdr_sub(host) -i example", "too short a piece"],
    ["a one-letter host prefix", "hdr_beg(host) -i a", "too short a host prefix"],
    ["one bad pattern among good ones", "path_beg /api /", "pattern '/' matches every path"],
    ["GET requests", "method GET", "method GET alone matches most traffic"],
    ["the whole IPv4 internet", "src 0.0.0.0/0", "matches nearly every client"],
    ["the whole IPv6 internet", "src ::/0", "matches nearly every client"],
  ])("%s: %p", (_name, acl, message) => {
    const verdict = hijack(acl);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toContain(message);
  });
});

describe("checkHijack accepts ordinary rules", () => {
  test.each([
    ["a host", "hdr(host) -i ghost.local"],
    ["the default Bamboo path rule", "path_beg -i /shop/web"],
    ["a path directory", "path_dir /api"],
    ["the exact root path for a landing page", "path /"],
    ["a domain and its sub-domains", "hdr_end(host) -i .example.com"],
    ["a registrable domain", "hdr_dom(host) -i example.co.uk"],
    ["a host prefix", "hdr_beg(host) -i api."],
    ["an anchored path regex", "path_reg ^/api/v[0-9]+/"],
    ["a host regex", "hdr_reg(host) -i ^(bbs|forum)\\.test\\.com$"],
    ["a file-type suffix", "path_end .json"],
    ["a header value", "hdr(x-tenant) acme"],
    ["requests that carry a canary header", "hdr(x-canary) -m found"],
    ["a URL parameter", "url_param(tenant) -m beg acme"],
    ["a private network", "src 10.0.0.0/8"],
    ["a rarely used method", "method PURGE"],
  ])("%s: %p", (_name, acl) => {
    expect(hijack(acl)).toEqual({ ok: true });
  });
});
