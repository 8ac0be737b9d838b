import { describe, expect, test } from "bun:test";
import { compareRules, findConflicts } from "../../src/routing/acl/conflicts.ts";
import type { AclRule } from "../../src/routing/acl/model.ts";
import { parseAcl } from "../../src/routing/acl/parse.ts";
import { regexSeeds } from "../../src/routing/acl/samples.ts";

function rule(acl: string): AclRule {
  const parsed = parseAcl(acl);
  if (!parsed.ok) throw new Error(`test rule does not parse: ${parsed.message}`);
  return parsed.rule;
}

describe("compareRules", () => {
  test.each([
    ["two teams claiming one host", "hdr(host) -i ghost.local", "hdr(host) -i ghost.local", "same", "both claim host 'ghost.local'"],
    ["one host in different case, with and without -i", "hdr(host) -i ghost.local", "hdr(host) GHOST.local", "same", "both claim host 'ghost.local'"],
    ["one path prefix", "path_beg -i /api", "path_beg -i /api", "same", "both claim path prefix '/api'"],
    ["one exact host and path", "base ghost.local/api", "base ghost.local/api", "same", "both claim host and path 'ghost.local/api'"],
    ["one shared host among several patterns", "hdr(host) -i a.com b.com", "hdr(host) -i c.com b.com", "same", "'b.com'"],
    ["one header value", "hdr(x-tenant) acme", "hdr(X-Tenant) acme", "same", "both claim header x-tenant 'acme'"],
    ["presence of one header", "hdr(x-canary) -m found", "hdr(x-canary) -m found", "same", "header x-canary presence"],
    ["a nested path prefix", "path_beg /api", "path_beg /api/users", "overlap", "a request for path '/api/users' matches both"],
    ["a path prefix over a longer word (string prefix)", "path_beg /api", "path_beg /apiv2", "overlap", "'/apiv2' matches both"],
    ["a path directory over a deeper prefix", "path_dir /api", "path_beg /api/users", "overlap", "'/api/users'"],
    ["an exact path inside a prefix", "path /health", "path_beg /health", "overlap", "'/health'"],
    ["a case-insensitive prefix over a case-sensitive one", "path_beg -i /API", "path_beg /api", "overlap", "'/api'"],
    ["a host suffix over a host", "hdr_end(host) -i .example.com", "hdr(host) -i a.example.com", "overlap", "host suffix '.example.com' overlaps their host 'a.example.com'"],
    ["a host under a host suffix, seen from the host", "hdr(host) -i a.example.com", "hdr_end(host) -i .example.com", "overlap", "'a.example.com' matches both"],
    ["a domain over a sub-domain", "hdr_dom(host) -i example.com", "hdr(host) -i shop.example.com", "overlap", "host domain 'example.com'"],
    ["a domain over itself written exactly", "hdr_dom(host) -i example.com", "hdr(host) -i example.com", "overlap", "'example.com'"],
    ["a host prefix and a host suffix", "hdr_beg(host) -i api.", "hdr_end(host) -i .example.com", "overlap", "'api.example.com'"],
    ["a regex over a prefix", "path_reg ^/api/v[0-9]+", "path_beg /api", "overlap", "'/api/v1'"],
    ["a suffix regex over a prefix", "path_reg \\.php$", "path_beg /shop", "overlap", "'/shop.php'"],
    ["a host over a host-and-path rule", "hdr(host) -i ghost.local", "base_beg ghost.local/api", "overlap", "host 'ghost.local' covers their host and path prefix 'ghost.local/api'"],
    ["a host-and-path rule inside a host suffix", "base_beg ghost.local/api", "hdr_end(host) -i .local", "overlap", "lies inside their host suffix '.local'"],
    ["a header value and the header's presence", "hdr(x-tenant) acme", "hdr(x-tenant) -m found", "overlap", "header x-tenant presence"],
    ["two client networks, one inside the other", "src 10.0.0.0/8", "src 10.1.0.0/16", "overlap", "client network"],
  ])("%s: %p vs %p → %s", (_name, mine, theirs, kind, detail) => {
    const clash = compareRules(rule(mine), rule(theirs));
    expect(clash?.kind).toBe(kind as "same" | "overlap");
    expect(clash?.detail).toContain(detail);
  });

  test.each([
    ["two different hosts", "hdr(host) -i a.example.com", "hdr(host) -i b.example.com"],
    ["a host rule and a path rule", "hdr(host) -i ghost.local", "path_beg /api"],
    ["a header rule and a host rule", "hdr(x-tenant) acme", "hdr(host) -i acme.example.com"],
    ["rules on two different headers", "hdr(x-tenant) acme", "hdr(x-team) acme"],
    ["sibling path prefixes", "path_beg /api/", "path_beg /shop/"],
    ["path directories that only share a string prefix", "path_dir /api", "path_dir /apiv2"],
    ["case-sensitive paths that differ in case", "path_beg /API", "path_beg /api"],
    ["a host suffix and a host outside it", "hdr_end(host) -i .example.com", "hdr(host) -i example.org"],
    ["a domain and a look-alike outside it", "hdr_dom(host) -i example.com", "hdr(host) -i example.com.evil.org"],
    ["a regex and an unrelated prefix", "path_reg ^/api/v[0-9]+", "path_beg /shop"],
    ["a host-and-path rule and another host", "base_beg ghost.local/api", "hdr(host) -i other.local"],
    ["two different header values", "hdr(x-tenant) acme", "hdr(x-tenant) globex"],
    ["disjoint client networks", "src 10.0.0.0/16", "src 10.1.0.0/16"],
  ])("no clash between %s: %p vs %p", (_name, mine, theirs) => {
    expect(compareRules(rule(mine), rule(theirs))).toBeNull();
  });
});

describe("findConflicts", () => {
  const others = new Map<string, AclRule>([
    ["/blog", rule("hdr(host) -i ghost.local")],
    ["/api/users", rule("path_beg /api/users")],
    ["/shop", rule("path_beg /shop")],
    ["/tenant", rule("hdr(x-tenant) acme")],
  ]);

  test("a second team claiming ghost.local is told which service has it", () => {
    expect(findConflicts({ id: "/ghost", rule: rule("hdr(host) -i ghost.local") }, others)).toEqual([
      { otherId: "/blog", kind: "same", detail: "both claim host 'ghost.local'" },
    ]);
  });

  test("an update does not clash with the rule it replaces", () => {
    expect(findConflicts({ id: "/blog", rule: rule("hdr(host) -i ghost.local") }, others)).toEqual([]);
  });

  test("same claims come before overlaps, each list sorted by id", () => {
    const mine = rule("path_beg /api /shop");
    const found = findConflicts({ id: "/new", rule: mine }, new Map([...others, ["/api", rule("path_beg /api")]]));
    expect(found.map((conflict) => [conflict.otherId, conflict.kind])).toEqual([
      ["/api", "same"],
      ["/shop", "same"],
      ["/api/users", "overlap"],
    ]);
  });

  test("an unrelated rule clashes with nothing", () => {
    expect(findConflicts({ id: "/new", rule: rule("hdr(host) -i new.example.com") }, others)).toEqual([]);
  });
});

describe("regexSeeds", () => {
  test.each([
    ["an anchored prefix", "^/api/v[0-9]+", ["/api/v"]],
    ["escaped dots are literal", "^www\\.example\\.com$", ["www.example.com"]],
    ["an optional character is dropped", "^/colou?r", ["/colo", "r"]],
    ["anchored prefix and suffix also join", "^/img/.*\\.png$", ["/img/", ".png", "/img/x.png"]],
    ["no literal at all gives a neutral seed", ".*", ["x"]],
  ])("%s: %p", (_name, source, seeds) => {
    expect(regexSeeds(source)).toEqual(seeds);
  });
});
