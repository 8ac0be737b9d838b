import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { AclRule } from "../../src/routing/acl/model.ts";
import { parseAcl } from "../../src/routing/acl/parse.ts";
import { orderByPrecedence, precedenceKey, reorderByPrecedence } from "../../src/routing/acl/precedence.ts";

function rule(acl: string): AclRule {
  const parsed = parseAcl(acl);
  if (!parsed.ok) throw new Error(`test rule does not parse: ${parsed.message}`);
  return parsed.rule;
}

function order(entries: readonly (readonly [string, string])[]): string[] {
  return orderByPrecedence(entries.map(([id, acl]) => ({ id, rule: rule(acl) }))).map((entry) => entry.id);
}

describe("precedenceKey", () => {
  test.each([
    ["exact host and path", "base ghost.local/api", 0],
    ["host and path prefix", "base_beg ghost.local/api", 1],
    ["exact host", "hdr(host) -i ghost.local", 2],
    ["exact host written as a directory", "hdr_dir(host) -i ghost.local", 2],
    ["exact path", "path /health", 3],
    ["path prefix", "path_beg -i /api", 4],
    ["path directory", "path_dir /api", 4],
    ["host suffix", "hdr_end(host) -i .example.com", 5],
    ["host domain", "hdr_dom(host) -i example.com", 5],
    ["path suffix", "path_end .json", 6],
    ["header value", "hdr(x-tenant) acme", 7],
    ["header presence", "hdr(x-canary) -m found", 7],
    ["URL parameter", "url_param(tenant) acme", 7],
    ["client network", "src 10.0.0.0/8", 8],
    ["path regex", "path_reg ^/api", 9],
    ["host regex", "hdr_reg(host) -i ^a\\.", 9],
  ])("%s ranks %p", (_name, acl, rank) => {
    expect(precedenceKey(rule(acl)).rank).toBe(rank);
  });

  test("a rule with several patterns is placed by its least specific one", () => {
    expect(precedenceKey(rule("path_beg /api/users /a")).specificity).toBe(precedenceKey(rule("path_beg /a")).specificity);
  });
});

describe("orderByPrecedence", () => {
  test.each([
    ["an exact host wins over a host suffix", [["/site", "hdr_end(host) -i .example.com"], ["/shop", "hdr(host) -i shop.example.com"]], ["/shop", "/site"]],
    ["a longer path prefix wins over a shorter one", [["/api", "path_beg /api"], ["/users", "path_beg /api/users"]], ["/users", "/api"]],
    ["host and path win over the host alone", [["/ghost", "hdr(host) -i ghost.local"], ["/ghost-api", "base_beg ghost.local/api"]], ["/ghost-api", "/ghost"]],
    ["an exact host wins over a path prefix", [["/api", "path_beg /api"], ["/ghost", "hdr(host) -i ghost.local"]], ["/ghost", "/api"]],
    ["a path prefix wins over a host suffix", [["/site", "hdr_end(host) -i .example.com"], ["/api", "path_beg /api"]], ["/api", "/site"]],
    ["a host suffix wins over a header rule", [["/tenant", "hdr(x-tenant) acme"], ["/site", "hdr_end(host) -i .example.com"]], ["/site", "/tenant"]],
    ["a header value wins over the header's presence", [["/canary", "hdr(x-tenant) -m found"], ["/acme", "hdr(x-tenant) acme"]], ["/acme", "/canary"]],
    ["anything wins over a regex", [["/re", "path_reg ^/api/v[0-9]+/users/[0-9]+$"], ["/tenant", "hdr(x-tenant) acme"]], ["/tenant", "/re"]],
    ["equal rules are ordered by app id", [["/b", "path_beg /x"], ["/a", "path_beg /y"]], ["/a", "/b"]],
    [
      "a whole chain",
      [
        ["/re", "path_reg ^/a"],
        ["/hdr", "hdr(x-a) b"],
        ["/suffix", "hdr_end(host) -i .example.com"],
        ["/short", "path_beg /a"],
        ["/long", "path_beg /a/b/c"],
        ["/exact-path", "path /a/b"],
        ["/host", "hdr(host) -i a.example.com"],
        ["/both", "base_beg a.example.com/a"],
      ],
      ["/both", "/host", "/exact-path", "/long", "/short", "/suffix", "/hdr", "/re"],
    ],
  ] as const)("%s", (_name, entries, expected) => {
    expect(order(entries)).toEqual([...expected]);
  });

  test("the order does not depend on the input order", () => {
    const entries = [["/c", "path_beg /c"], ["/a", "hdr(host) -i a.com"], ["/b", "path_beg /b/long"]] as const;
    expect(order([...entries].reverse())).toEqual(order(entries));
  });
});

describe("reorderByPrecedence", () => {
  const rules = ["path_reg ^/a", "hdr(x-a) b", "hdr_end(host) -i .example.com", "path_beg /a", "path_beg /a/b", "path /a", "hdr(host) -i a.example", "base_beg a.example/x", "base a.example/x/y", "src 10.0.0.0/8"];
  const entryArb = fc.tuple(fc.constantFrom("/a", "/b", "/c", "/d", "/e", "/f", "/g"), fc.constantFrom(...rules));

  test("dropping and adding entries orders exactly as sorting everything again", () => {
    fc.assert(
      fc.property(fc.uniqueArray(entryArb, { selector: ([id]) => id, maxLength: 7 }), fc.array(entryArb, { maxLength: 4 }), (before, changes) => {
        const changed = new Map(changes.map(([id, acl]) => [id, acl]));
        const ordered = orderByPrecedence(before.map(([id, acl]) => ({ id, rule: rule(acl) })));
        const added = [...changed].map(([id, acl]) => ({ id, rule: rule(acl) }));
        const after = [...before.filter(([id]) => !changed.has(id)), ...changed];
        const expected = orderByPrecedence(after.map(([id, acl]) => ({ id, rule: rule(acl) }))).map((entry) => entry.id);
        expect(reorderByPrecedence(ordered, (entry) => changed.has(entry.id), added).map((entry) => entry.id)).toEqual(expected);
      }),
      { numRuns: 500, seed: 16 },
    );
  });
});
