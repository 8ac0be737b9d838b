/** The incremental JSON syntax checker: RFC 8259 exactly, wherever the input is split. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { JsonSyntaxChecker, type JsonSyntaxError } from "../../src/marathon/json-syntax.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Checks `bytes` fed in pieces cut at `cuts`; null when they are one JSON document. */
function check(input: string | Uint8Array, options: { objectOnly?: boolean; maxDepth?: number; cuts?: readonly number[] } = {}): JsonSyntaxError | null {
  const bytes = typeof input === "string" ? utf8(input) : input;
  const checker = new JsonSyntaxChecker({ maxDepth: options.maxDepth ?? 64, objectOnly: options.objectOnly ?? false });
  let from = 0;
  for (const cut of [...(options.cuts ?? []), bytes.length]) {
    const error = checker.feed(bytes.subarray(from, cut));
    if (error !== null) return error;
    from = cut;
  }
  return checker.end();
}

const VALID = [
  "{}",
  " \t\r\n{ } \n",
  '{"apps":[]}',
  '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
  '{"n":[0,-0,1,-1,10,1.5,-0.25,1e5,1E5,1e+5,1e-5,2.5E-3,123456789012345678901234567890]}',
  '{"s":"plain \\" \\\\ \\/ \\b \\f \\n \\r \\t"}',
  '{"u":"\\u00e9\\u00E9 \\uD83D\\uDE00 \\ud800"}',
  '{"utf8":"é € 😀 \u007f"}',
  '{"":""}',
  '{"deep":[[[[[[[[[[{"x":[{}]}]]]]]]]]]]}',
];

describe("valid documents", () => {
  test.each(VALID.map((doc) => [JSON.stringify(doc), doc]))("%s, split at every byte position", (_name, doc) => {
    const bytes = utf8(doc);
    expect(check(bytes, { objectOnly: true })).toBeNull();
    for (let cut = 0; cut <= bytes.length; cut++) expect(check(bytes, { objectOnly: true, cuts: [cut] })).toBeNull();
    // One byte at a time too: every state must survive a chunk boundary.
    expect(check(bytes, { objectOnly: true, cuts: Array.from({ length: bytes.length }, (_, i) => i) })).toBeNull();
  });

  test.each(["0", "-0", "1e5", "-1.5E+10", '"x"', "true", "false", "null", "[]", " [1, 2] "])("any value at top level when objects are not required: %s", (doc) => {
    expect(check(doc)).toBeNull();
  });
});

describe("invalid documents fail at the right byte", () => {
  const cases: [string, string | Uint8Array, number, string][] = [
    ["empty", "", 0, "is empty"],
    ["only whitespace", "  \n", 3, "is empty"],
    ["an array where an object is needed", "[1]", 0, "unexpected '[' at byte 0, expected '{'"],
    ["50 MB of [ (the issue's garbage), in short", "[[[[[[", 0, "unexpected '['"],
    ["cut short", '{"apps":[', 9, "ends before the JSON is complete"],
    ["a string never closed", '{"apps":["abc', 13, "ends before the JSON is complete"],
    ["a trailing comma in an array", '{"a":[1,]}', 8, "unexpected ']' at byte 8"],
    ["a trailing comma in an object", '{"a":1,}', 7, "unexpected '}' at byte 7, expected a key"],
    ["a key without quotes", "{a:1}", 1, "unexpected 'a' at byte 1"],
    ["a single-quoted string", "{'a':1}", 1, "unexpected '''"],
    ["a missing colon", '{"a" 1}', 5, "expected ':'"],
    ["a mismatched bracket", '{"a":[1}', 7, "unexpected '}' at byte 7, expected ',' or ']'"],
    ["garbage after the document", "{} x", 3, "unexpected 'x' at byte 3, expected nothing after the end"],
    ["a second document", "{}{}", 2, "unexpected '{' at byte 2"],
    ["a leading zero", '{"n":01}', 6, "unexpected '1' at byte 6: a number cannot have a leading zero"],
    ["a negative leading zero", '{"n":-01}', 7, "leading zero"],
    ["a plus sign", '{"n":+1}', 5, "unexpected '+'"],
    ["a bare decimal point", '{"n":.5}', 5, "unexpected '.'"],
    ["a decimal point without digits", '{"n":1.}', 7, "unexpected '}' at byte 7, expected a digit after '.'"],
    ["an exponent without digits", '{"n":1e}', 7, "expected a digit or a sign"],
    ["an exponent sign without digits", '{"n":1e+}', 8, "expected a digit in the exponent"],
    ["a lone minus", '{"n":-}', 6, "unexpected '}' at byte 6, expected a digit"],
    ["hex", '{"n":0x1}', 6, "unexpected 'x' at byte 6"],
    ["NaN", '{"n":NaN}', 5, "unexpected 'N'"],
    ["a misspelt literal", '{"b":tru}', 8, "unexpected '}' at byte 8, expected 'e' of true"],
    ["a capitalised literal", '{"b":True}', 5, "unexpected 'T'"],
    ["an unknown escape", '{"s":"\\x"}', 7, "unexpected 'x' at byte 7, expected an escape"],
    ["a short unicode escape", '{"s":"\\u12"}', 10, "unexpected '\"' at byte 10, expected a hex digit"],
    ["a unicode escape with a non-hex digit", '{"s":"\\uZZZZ"}', 8, "expected a hex digit"],
    ["a raw newline in a string", '{"s":"a\nb"}', 7, "unexpected byte 0x0a at byte 7, expected no control character"],
    ["a raw tab in a string", '{"s":"a\tb"}', 7, "byte 0x09"],
    ["a raw NUL in a string", '{"s":"\u0000"}', 6, "byte 0x00"],
    ["a raw 0x1f in a string", '{"s":"\u001f"}', 6, "byte 0x1f"],
    ["a byte order mark", "\ufeff{}", 0, "unexpected byte 0xef at byte 0"],
    ["a non-ASCII byte outside strings", "{} é", 3, "unexpected byte 0xc3 at byte 3"],
    ["an overlong UTF-8 form", Uint8Array.of(0x7b, 0x22, 0xc0, 0x80, 0x22), 2, "invalid UTF-8 at byte 2"],
    ["an overlong 3-byte form", Uint8Array.of(0x7b, 0x22, 0xe0, 0x80, 0x80, 0x22), 3, "invalid UTF-8 at byte 3"],
    ["a UTF-16 surrogate encoded in UTF-8", Uint8Array.of(0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22), 3, "invalid UTF-8 at byte 3"],
    ["a code point past U+10FFFF", Uint8Array.of(0x7b, 0x22, 0xf4, 0x90, 0x80, 0x80, 0x22), 3, "invalid UTF-8 at byte 3"],
    ["a byte that never starts UTF-8", Uint8Array.of(0x7b, 0x22, 0xf5, 0x22), 2, "invalid UTF-8 at byte 2"],
    ["a stray continuation byte", Uint8Array.of(0x7b, 0x22, 0x80, 0x22), 2, "invalid UTF-8 at byte 2"],
    ["a character cut by the closing quote", Uint8Array.of(0x7b, 0x22, 0xe2, 0x82, 0x22), 4, "invalid UTF-8 at byte 4"],
  ];
  test.each(cases)("%s", (_name, doc, offset, message) => {
    const bytes = typeof doc === "string" ? utf8(doc) : doc;
    for (let cut = 0; cut <= bytes.length; cut++) {
      const error = check(bytes, { objectOnly: true, cuts: [cut] });
      expect(error?.offset).toBe(offset);
      expect(error?.message).toContain(message);
    }
  });

  test("the first error stays: later bytes cannot make the input valid again", () => {
    const checker = new JsonSyntaxChecker({ maxDepth: 64, objectOnly: true });
    const first = checker.feed(utf8("x"));
    expect(checker.feed(utf8("{}"))).toEqual(first);
    expect(checker.end()).toEqual(first);
  });
});

describe("nesting", () => {
  const nested = (depth: number) => `{"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
  test("64 containers deep is accepted", () => {
    expect(check(nested(64), { objectOnly: true })).toBeNull();
  });
  test("one more is refused at the container that goes too deep", () => {
    expect(check(nested(65), { objectOnly: true })).toEqual({ offset: 68, message: "nesting deeper than 64 at byte 68" });
  });
  test("50 MB of [ stops at byte 64 when any value may start a document", () => {
    const error = check(new Uint8Array(1024 * 1024).fill(0x5b));
    expect(error?.offset).toBe(64);
  });
});

describe("agrees with JSON.parse", () => {
  const token = fc.constantFrom("{", "}", "[", "]", ",", ":", '"', '"a"', '"\\', "\\u", "\\n", "0", "1", "9", "-", "+", ".", "e", "E", "true", "false", "null", "tru", " ", "\n", "\t", "\u0001", "é", "😀", "x", "00", "1.5", "-0");
  const jsonish = fc.array(token, { maxLength: 25 }).map((tokens) => tokens.join(""));
  const nearlyJson = fc.tuple(fc.json(), fc.nat(), fc.constantFrom("", " ", "]", "}", ",", '"', "0", "x")).map(([json, at, insert]) => {
    const i = at % (json.length + 1);
    return json.slice(0, i) + insert + json.slice(i);
  });

  const parses = (text: string) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };

  test("on random JSON-ish strings, split anywhere", () => {
    fc.assert(
      fc.property(fc.oneof(jsonish, nearlyJson, fc.json(), fc.string()), fc.array(fc.nat(), { maxLength: 3 }), (text, rawCuts) => {
        const bytes = utf8(text);
        const cuts = rawCuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
        expect(check(bytes, { maxDepth: 1000, cuts }) === null).toBe(parses(text));
      }),
      { numRuns: 5_000 },
    );
  });
});

/** The texts of the elements the checker reports for `key`, with `bytes` fed in pieces cut at `cuts`. */
function elements(input: string, key: string, cuts: readonly number[] = []): { texts: string[]; error: JsonSyntaxError | null } {
  const bytes = utf8(input);
  const texts: string[] = [];
  const checker = new JsonSyntaxChecker({ maxDepth: 64, objectOnly: true, elementsOf: { key, element: (start, end) => texts.push(new TextDecoder().decode(bytes.subarray(start, end))) } });
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    const error = checker.feed(bytes.subarray(from, cut));
    if (error !== null) return { texts, error };
    from = cut;
  }
  return { texts, error: checker.end() };
}

describe("elements of one top-level array", () => {
  const doc = '{"version":1, "apps" : [ {"id":"/a","tasks":[{"id":"t"}]} , 12.5e3,"x\\"]",true ,null,[1,[2]],-0 ], "after":{"apps":[9]}}';

  test("each element's exact bytes, wherever the input is split", () => {
    const wanted = ['{"id":"/a","tasks":[{"id":"t"}]}', "12.5e3", '"x\\"]"', "true", "null", "[1,[2]]", "-0"];
    expect(elements(doc, "apps")).toEqual({ texts: wanted, error: null });
    const length = utf8(doc).length;
    for (let cut = 0; cut <= length; cut++) expect(elements(doc, "apps", [cut]).texts).toEqual(wanted);
    expect(elements(doc, "apps", Array.from({ length }, (_, i) => i)).texts).toEqual(wanted);
  });

  test("only the array at that key of the top-level object: not a nested one of the same name, not another key", () => {
    expect(elements('{"x":{"apps":[1]},"app":[2],"appsx":[3],"apps":{"a":4}}', "apps").texts).toEqual([]);
    expect(elements('{"a":[{"apps":[1]}],"apps":[]}', "apps").texts).toEqual([]);
  });

  test("a key written with an escape or other bytes around the same letters is not the key", () => {
    expect(elements('{"\\u0061pps":[1],"ap\\"ps":[2],"apps\u00e9":[3],"\u00e9apps":[4]}', "apps").texts).toEqual([]);
  });

  test("elements are reported before the document is known to be whole, and the error still comes", () => {
    const result = elements('{"apps":[1,2] x', "apps");
    expect(result.texts).toEqual(["1", "2"]);
    expect(result.error?.message).toContain("expected ',' or '}'");
  });
});
