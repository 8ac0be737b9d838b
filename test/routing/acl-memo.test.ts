import { describe, expect, test } from "bun:test";
import { memoByText, ruleParser } from "../../src/routing/acl/index.ts";

describe("memoByText", () => {
  test("computes a text once and hands out the same value; past its bound it starts over", () => {
    let calls = 0;
    const length = memoByText((text) => ({ length: text.length, call: ++calls }), 2);
    expect(length("a")).toBe(length("a"));
    expect(calls).toBe(1);
    length("bb");
    length("ccc");
    expect(calls).toBe(3);
    // "a" was forgotten when the bound was reached.
    expect(length("a").call).toBe(4);
  });

  test("the appliance's rule parser hands out one parse per text", () => {
    const parse = ruleParser();
    expect(parse("hdr(host) -i a.local")).toBe(parse("hdr(host) -i a.local"));
    expect(parse("nosuchfetch x").ok).toBe(false);
  });
});
