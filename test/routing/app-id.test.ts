import { describe, expect, test } from "bun:test";
import { isValidAppId, sanitizeAppId } from "../../src/routing/app-id.ts";

const CASES: readonly (readonly [string, string, string])[] = [
  ["spaces and underscores become hyphens", "My Service_v2", "/my-service-v2"],
  ["groups are kept as path segments", "Team/Payments API", "/team/payments-api"],
  ["a valid id is returned unchanged", "/team/payments-api", "/team/payments-api"],
  ["a valid id keeps its hyphen runs", "/a--b", "/a--b"],
  ["a valid id keeps its dotted labels", "/my.app/v1.2", "/my.app/v1.2"],
  ["a missing leading slash is added", "payments", "/payments"],
  ["accented letters are transliterated", "Café Zürich", "/cafe-zurich"],
  ["letters without a simple spelling are transliterated by table", "Straße/Ærø", "/strasse/aero"],
  ["letters of other scripts are dropped", "日本 shop", "/shop"],
  ["runs of invalid characters collapse to one hyphen", "a  -  b!!c", "/a-b-c"],
  ["leading and trailing hyphens are trimmed", "--app--", "/app"],
  ["empty segments disappear", "//team///app/", "/team/app"],
  ["dot and dot-dot segments disappear", "/team/../app/.", "/team/app"],
  ["labels are trimmed around dots", "a.-b.c-", "/a.b.c"],
  ["doubled dots collapse", "a..b", "/a.b"],
  ["surrounding spaces are ignored", "  Payments  ", "/payments"],
  ["digits are kept", "App 2024", "/app-2024"],
  ["an emoji separates words", "big😀deal", "/big-deal"],
];

describe("sanitizeAppId", () => {
  test.each(CASES)("%s: %p → %p", (_name, input, id) => {
    expect(sanitizeAppId(input)).toEqual({ ok: true, id });
  });

  test.each(CASES)("is idempotent and valid: %s", (_name, input) => {
    const first = sanitizeAppId(input);
    if (!first.ok) throw new Error(first.message);
    expect(isValidAppId(first.id)).toBe(true);
    expect(sanitizeAppId(first.id)).toEqual(first);
  });

  test.each([
    ["blank", "  "],
    ["only hyphens", "---"],
    ["only slashes", "///"],
    ["only dots", "/./.."],
    ["only letters we cannot spell", "日本"],
    ["empty", ""],
  ])("refuses a name with nothing usable: %s", (_name, input) => {
    const result = sanitizeAppId(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain("has no letters or digits to make an app id from");
  });
});

describe("isValidAppId", () => {
  test.each([
    ["/app", true],
    ["/group/app-1", true],
    ["/a.b", true],
    ["app", false],
    ["/", false],
    ["/App", false],
    ["/-app", false],
    ["/app-", false],
    ["/a//b", false],
    ["/a/./b", false],
    ["/a/../b", false],
    ["/a_b", false],
  ] as const)("%p is valid: %p", (id, valid) => {
    expect(isValidAppId(id)).toBe(valid);
  });
});
