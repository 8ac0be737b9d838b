import { describe, expect, test } from "bun:test";
import { commonPrefixLength, commonPrefixOfPieces, commonSuffixLength, commonSuffixOfPieces, textBetween } from "../../src/haproxy/pieces.ts";

describe("common prefix and suffix", () => {
  const long = "x".repeat(10_000);
  test.each([
    ["", "", 0, 0],
    ["abc", "abc", 3, 3],
    ["abc", "abd", 2, 0],
    ["abc", "xbc", 0, 2],
    ["ab", "abc", 2, 0],
    [`${long}a${long}`, `${long}b${long}`, 10_000, 10_000],
    [`${long}a`, `${long}ab`, 10_001, 0],
  ])("%#", (a, b, prefix, suffix) => {
    expect(commonPrefixLength(a, b)).toBe(prefix);
    expect(commonSuffixLength(a, b)).toBe(suffix);
  });

  test("the suffix can be bounded so it does not overlap the prefix", () => {
    expect(commonSuffixLength("aaaa", "aaaaaa", 1)).toBe(1);
  });
});

describe("pieces", () => {
  const shared = "unchanged item";
  test.each([
    [["a", shared, "c"], ["a", shared, "c"], 16, 16],
    [["a", shared, "old", shared], ["a", shared, "new", shared], 15, 14],
    [["ab"], ["ax", "b"], 1, 1],
    [[], ["x"], 0, 0],
  ])("%j against %j", (a, b, prefix, suffix) => {
    expect(commonPrefixOfPieces(a, b)).toBe(prefix);
    expect(commonSuffixOfPieces(a, b, Number.POSITIVE_INFINITY)).toBe(suffix);
  });

  test("the suffix is bounded by the caller", () => {
    expect(commonSuffixOfPieces(["aaa"], ["aaa"], 1)).toBe(1);
  });

  test.each([
    [0, 9, "abcdefghi"],
    [2, 5, "cde"],
    [3, 7, "defg"],
    [4, 4, ""],
  ])("text from %i to %i", (from, to, expected) => {
    expect(textBetween(["abc", "", "def", "ghi"], from, to)).toBe(expected);
  });
});
