import { expect, test } from "bun:test";
import { AclChecker, isFinal } from "../../src/haproxy/acl-check.ts";

test("many stored rules are checked by one HAProxy run, each verdict on its own rule", async () => {
  const checker = new AclChecker("haproxy");
  const rules = ["hdr(host) -i a.example.com", "path_beg -i /api", "hdr(host) -q nope", "path_reg ^/(unclosed", "hdr_end(host) -i .example.com"];
  const verdicts = await checker.checkAll(rules);
  expect([...verdicts.values()].map((v) => v.ok)).toEqual([true, true, false, false, true]);
  const bad = verdicts.get("hdr(host) -q nope")!;
  expect(!bad.ok && bad.message).toContain("'-q' is not a valid ACL option");
  expect(bad.ok || bad.message.includes("acl-check.cfg")).toBe(false);
});

test("a single check gives the same verdict as the batch", async () => {
  const checker = new AclChecker("haproxy");
  expect(await checker.check("hdr(host) -q nope")).toEqual((await new AclChecker("haproxy").checkAll(["hdr(host) -q nope"])).get("hdr(host) -q nope")!);
});

test("a rule with a newline is refused without running HAProxy", async () => {
  const verdicts = await new AclChecker("/nonexistent/haproxy").checkAll(["a\nb"]);
  expect(verdicts.get("a\nb")).toMatchObject({ ok: false });
  expect(JSON.stringify(verdicts.get("a\nb"))).toContain("control character");
});

test("a check that cannot write its temp file is no verdict: asked again once it can", async () => {
  const checker = new AclChecker("haproxy");
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = "/nonexistent/bamboo-acl-check";
  try {
    const failed = await checker.check("hdr(x-tenant) blue");
    expect(failed.ok).toBe(false);
    expect(isFinal(failed)).toBe(false);
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  }
  expect(await checker.check("hdr(x-tenant) blue")).toEqual({ ok: true });
});
