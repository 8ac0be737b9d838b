import { describe, expect, test } from "bun:test";
import { certificateNameProblem, MAX_CERTIFICATE_NAME_LENGTH } from "../../src/tls/certificate-name.ts";

describe("certificateNameProblem accepts", () => {
  test.each([
    ["a host name", "shop.example"],
    ["a wildcard spelled out", "wildcard.shop.example"],
    ["digits first", "0-default"],
    ["underscores and dashes", "team_a-prod"],
    ["one character", "a"],
    ["the longest name", "a".repeat(MAX_CERTIFICATE_NAME_LENGTH)],
    ["a name that only contains pem", "pem"],
    ["a name ending in -pem", "shop-pem"],
  ])("%s (%p)", (_name, name) => {
    expect(certificateNameProblem(name)).toBeNull();
  });
});

describe("certificateNameProblem refuses, naming the character and what is allowed", () => {
  test.each([
    ["an empty name", "", "a certificate name is needed: use 1 to 64 lower-case letters"],
    ["a name one character too long", "a".repeat(65), "is 65 characters long; use at most 64"],
    ["upper case, with the fix", "Shop", "certificate name 'Shop': 'S' is not allowed (write 's'); use lower-case letters, digits, '.', '_' and '-'"],
    ["a slash", "a/b", "'/' is not allowed"],
    ["a space", "my cert", "a space is not allowed"],
    ["a control character, escaped", "a\x07b", "certificate name 'a\\x07b': the control character \\x07 is not allowed"],
    ["a newline, escaped", "a\nb", "the control character \\x0a"],
    ["a non-ASCII letter, with its code point", "café", "'é' (\\xe9) is not allowed"],
    ["an emoji", "a🔒", "'🔒' (U+1F512) is not allowed"],
    ["a leading dot (hidden file)", ".hidden", "starts with '.'; use lower-case letters"],
    ["a leading dash (read as an option)", "-rf", "starts with '-'"],
    ["two dots", "a..b", "contains '..'"],
    ["a .pem ending", "shop.pem", "ends in '.pem'; leave it out: the certificate 'shop' is stored as shop.pem"],
    ["a colon", "a:b", "':' is not allowed"],
  ])("%s", (_name, name, message) => {
    expect(certificateNameProblem(name)).toContain(message);
  });

  test("a very long name is shown shortened, not in full", () => {
    const problem = certificateNameProblem("x".repeat(10_000));
    expect(problem).toContain(`'${"x".repeat(20)}...'`);
    expect(problem!.length).toBeLessThan(200);
  });
});
