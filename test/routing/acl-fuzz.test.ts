import { expect, test } from "bun:test";
import fc from "fast-check";
import { DEFAULT_POLICY, parseAcl, parsePolicy, renderAcl, validateRule } from "../../src/routing/acl/index.ts";

/** Words HAProxy ACLs are made of, so random rules are often close to valid ones. */
const WORD = fc.oneof(
  fc.constantFrom("hdr(host)", "hdr_beg(host)", "hdr_end(host)", "hdr_dom(host)", "path", "path_beg", "path_dir", "path_reg", "hdr(x-team)", "url_param(id)", "base", "always_true", "req.hdr(host)", "path_beg,lower"),
  fc.constantFrom("-i", "-m", "str", "beg", "reg", "found", "--", "-f", "/etc/passwd", "||", "!", "if", "#", "{", "}"),
  fc.constantFrom("/", "/api", "/api/users", "a.example.com", ".example.com", "com", ".*", "^/", "\\n", "'quoted value'", '"dq"'),
  fc.string({ maxLength: 12 }),
);
const RULE_TEXT = fc.oneof(fc.array(WORD, { minLength: 0, maxLength: 6 }).map((words) => words.join(" ")), fc.string({ maxLength: 60 }));

test("the parser never throws, and whatever it accepts renders to text it reads back the same", () => {
  fc.assert(
    fc.property(RULE_TEXT, (text) => {
      const parsed = parseAcl(text);
      if (!parsed.ok) {
        expect(parsed.message.length).toBeGreaterThan(0);
        return;
      }
      const rendered = renderAcl(parsed.rule);
      // eslint-disable-next-line no-control-regex
      expect(rendered).not.toMatch(/[\x00-\x1f\x7f#]/);
      const again = parseAcl(rendered);
      expect(again.ok && again.rule).toEqual(parsed.rule);
    }),
    { numRuns: 3_000 },
  );
});

test("validateRule never throws and always answers 400 or 409 with a reason when it refuses", () => {
  const others = new Map([
    ["/shop", "hdr(host) -i shop.example.com"],
    ["/api", "path_beg -i /api"],
  ]);
  const policies = ["default", "path", "all", "host,regex"].map((text) => {
    const parsed = parsePolicy(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.policy;
  });
  fc.assert(
    fc.property(RULE_TEXT, fc.constantFrom(...policies, DEFAULT_POLICY), fc.boolean(), (acl, policy, allowOverlap) => {
      const verdict = validateRule({ id: "/candidate", acl, others, policy, allowOverlap });
      if (verdict.ok) {
        // eslint-disable-next-line no-control-regex
        expect(verdict.canonical).not.toMatch(/[\x00-\x1f\x7f]/);
      } else {
        expect([400, 409]).toContain(verdict.status);
        expect(verdict.message.length).toBeGreaterThan(0);
      }
    }),
    { numRuns: 3_000 },
  );
});
