import { describe, expect, test } from "bun:test";
import { parseAcl, type AclRule } from "../../src/routing/acl/index.ts";
import { describeChar, mapKeyProblem, storedRuleKeyProblem } from "../../src/routing/acl/map-keys.ts";
import { routeSteps, type RouteStep } from "../../src/routing/route-maps.ts";

const rule = (text: string): AclRule => {
  const parsed = parseAcl(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.rule;
};

/** Steps as text: `name: key→rule index, ...` for a lookup, `chain: indices` for chain lines; empty lookups left out. */
function describeSteps(steps: readonly RouteStep[]): string[] {
  return steps.flatMap((step) =>
    step.kind === "chain" ? [`chain: ${step.routes.join(",")}`] : step.entries.length === 0 ? [] : [`${step.map.name}: ${step.entries.map((entry) => `${entry.key}→${entry.route}`).join(", ")}`],
  );
}

/** Rules given in precedence order, as template-data.ts hands them over. */
const steps = (...acls: (string | null)[]) => describeSteps(routeSteps(acls.map((acl) => ({ rule: acl === null ? null : rule(acl) }))));

describe("routeSteps", () => {
  test.each([
    ["exact hosts, folded", ["hdr(host) -i A.example", "hdr(host) b.example"], ["host.map: a.example→0, b.example→1"]],
    ["several exact hosts in one rule", ["hdr(host) -i a.example www.a.example"], ["host.map: a.example→0, www.a.example→0"]],
    ["default path rules and prefixes", ["path_beg -i /shop/web", "path_beg -i /shop"], ["path-prefix.map: /shop/web→0, /shop→1"]],
    ["a key two rules share goes to the one tested first", ["path_beg -i /API", "path_beg -i /api"], ["path-prefix.map: /api→0"]],
    ["host and path, exact and prefix", ["base -i a.example/x", "base_beg -i a.example/api"], ["host-path.map: a.example/x→0", "host-path-prefix.map: a.example/api→1"]],
    ["case-sensitive prefixes get their own map", ["path_beg /API"], ["path-prefix-case.map: /API→0"]],
    ["exact paths", ["path -i /health"], ["path.map: /health→0"]],
    ["headers, regexes and suffixes stay in the chain, after the lookups", ["hdr(host) -i a.example", "hdr_end(host) -i .example", "hdr(x-tenant) blue", "path_reg ^/v[0-9]+"], ["host.map: a.example→0", "chain: 1,2,3"]],
    ["an unreadable rule stays in the chain", [null], ["chain: 0"]],
    ["a rule that fits no map cuts its rank into runs, keeping the order", ["path_beg -i /long/prefix", "path_dir /long", "path_beg -i /lo"], ["path-prefix.map: /long/prefix→0", "chain: 1", "path-prefix.2.map: /lo→2"]],
    ["mixed case folding alternates maps in the chain's order", ["path_beg -i /abcd", "path_beg /ABC", "path_beg -i /ab"], ["path-prefix.map: /abcd→0", "path-prefix-case.map: /ABC→1", "path-prefix.2.map: /ab→2"]],
    ["several prefixes in one rule stay in the chain (it is placed by its shortest)", ["path_beg -i /a /abc"], ["chain: 0"]],
    ["converters and occurrences stay in the chain", ["path,lower -m beg /a", "hdr(host,1) -i a.example"], ["chain: 1", "chain: 0"]],
  ])("%s", (_name, acls, expected) => {
    expect(steps(...acls)).toEqual(expected);
  });

  test("every mapped rank has its lookup even without rules, so a first rule changes no config text", () => {
    const names = routeSteps([]).map((step) => (step.kind === "map" ? step.map.name : "chain"));
    expect(names).toEqual(["host-path.map", "host-path-prefix.map", "host.map", "path.map", "path-prefix.map"]);
  });
});

describe("mapKeyProblem", () => {
  test.each([
    ["/api", null],
    ["a.example:8080", null],
    ["", "an empty key"],
    ["/a b", "the character ' ' (space, U+0020)"],
    ["/a\tb", "the character U+0009 (a control character)"],
    ["/a\u007f", "the character U+007F (a control character)"],
    ["/é", "the non-ASCII character 'é' (U+00E9)"],
    ["#x", "a leading '#', which starts a comment"],
    ["/a\\b", "a backslash"],
  ])("%j → %j", (key, problem) => {
    expect(mapKeyProblem(key)).toBe(problem);
  });

  test("names printable characters by themselves and code point", () => {
    expect(describeChar("\"")).toBe("'\"' (U+0022)");
  });
});

describe("storedRuleKeyProblem", () => {
  test.each([
    ["path_beg -i /api", null],
    ["hdr(host) -i a.example b.example", null],
    ["path_beg /a\\ b", "pattern '/a b' holds the character ' ' (space, U+0020), which a map file's key cannot hold"],
    ["hdr(host) -i 'a b.example'", "pattern 'a b.example' holds the character ' ' (space, U+0020), which a map file's key cannot hold"],
  ])("%j → %j", (acl, problem) => {
    expect(storedRuleKeyProblem(acl)).toBe(problem);
  });
});
