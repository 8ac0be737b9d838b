import { expect, test } from "bun:test";
import fc from "fast-check";
import { AclChecker } from "../../src/haproxy/acl-check.ts";
import { parseAcl, renderAcl } from "../../src/routing/acl/index.ts";
import { isPlainKeyRule } from "../../src/routing/route-maps.ts";
import { HAPROXY_BIN } from "../support/haproxy-env.ts";

/**
 * The rules bamboo trusts without running `haproxy -c` (a rule write's cost at 10,000 apps)
 * must be rules HAProxy accepts: random ones are checked against the binary, in one batch.
 */

const INERT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~:/?&=+,;@!*%-";
/** Any printable ASCII, so the generator also writes what must not be trusted. */
const PRINTABLE = `${INERT} "'\\#$()[]{}<>|^\``;

const keyArb = (chars: string) => fc.string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength: 24 });
const flagArb = fc.constantFrom("", "-i ", "-m str ", "-m beg ", "-i -m beg ", "-m str -i ");
const fetchArb = fc.constantFrom("hdr(host)", "req.hdr(host)", "path", "path_beg", "path_dir", "base", "base_beg", "hdr_beg(host)", "path_end", "url");
const ruleArb = fc
  .tuple(fetchArb, flagArb, fc.array(fc.oneof(keyArb(INERT), keyArb(PRINTABLE)), { minLength: 1, maxLength: 3 }))
  .map(([fetch, flags, keys]) => `${fetch} ${flags}${keys.map((key) => (key.startsWith("/") || !fetch.startsWith("path") ? key : `/${key}`)).join(" ")}`);

function canonical(rule: string): string[] {
  const parsed = parseAcl(rule);
  return parsed.ok ? [renderAcl(parsed.rule)] : [];
}

test("every rule trusted without HAProxy is one HAProxy accepts", async () => {
  // Each written rule and its canonical text, which is what the API stores.
  const written = fc.sample(ruleArb, { numRuns: 6_000, seed: 16 });
  const rules = [...new Set(written.flatMap((rule) => [rule, ...canonical(rule)]))];
  const trusted = rules.filter((acl) => isPlainKeyRule(acl));
  // The sample must reach the trusted forms often enough to say something.
  expect(trusted.length).toBeGreaterThan(400);
  expect(trusted.length).toBeLessThan(rules.length);
  const verdicts = await new AclChecker(HAPROXY_BIN).checkAll(trusted);
  const refused = trusted.filter((rule) => !verdicts.get(rule)!.ok);
  expect(refused).toEqual([]);
}, 60_000);

test.each<[string, boolean]>([
  ["hdr(host) -i app.example", true],
  ["path_beg -i /api", true],
  ["base -i shop.example/cart", true],
  ["hdr(host) -i a.example b.example", true],
  // Not the canonical text: HAProxy would be asked.
  ["hdr(host)  -i app.example", false],
  ["req.hdr(host) -i app.example", false],
  // Characters HAProxy's config parser gives a meaning to.
  ['path_beg -i /a"b', false],
  ["path_beg -i /a'b", false],
  ["path_beg -i /${HOME}", false],
  // Rules no map serves.
  ["hdr_end(host) -i .example.com", false],
  ["path_reg ^/api", false],
  ["hdr(x-tenant) blue", false],
  ["path_beg -i /a /b", false],
])("%s trusted: %p", (rule, expected) => {
  expect(isPlainKeyRule(rule)).toBe(expected);
});

test("a trusted rule gets its verdict without running HAProxy", async () => {
  const checker = new AclChecker("/nonexistent/haproxy", { trusted: isPlainKeyRule });
  expect(await checker.check("hdr(host) -i app.example")).toEqual({ ok: true });
  expect((await checker.check("path_reg ^/api")).ok).toBe(false);
});
