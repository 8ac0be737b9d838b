import { describe, expect, test } from "bun:test";
import { formatJson, formatText, resolveLogFormat } from "../../src/system/log-format.ts";
import { createLogger, type LogFields, type LogLevel, type LogRecord } from "../../src/system/log.ts";
import { FIELD_CHAR_BUDGET } from "../../src/system/log-value.ts";

const TIME = new Date("2026-01-02T03:04:05.678Z");
const record = (message: string, fields: LogFields = {}, level: LogLevel = "info"): LogRecord => ({ time: TIME, level, message, fields });

/** No reader may see a second line: newlines, returns, NEL, and Unicode's line and paragraph separators. */
const LINE_BREAK = /[\n\r\u000b\u000c\u0085\u2028\u2029]/;

const circular: Record<string, unknown> = { name: "loop" };
circular.self = circular;
const sharedChild = { id: 1 };
const deep: Record<string, unknown> = {};
let cursor = deep;
for (let i = 0; i < 50; i++) cursor = cursor.next = {};
const throwingGetter = {
  get boom(): never {
    throw new Error("getter blew up");
  },
};
const hostileProxy = new Proxy(
  {},
  {
    ownKeys() {
      throw new Error("no keys for you");
    },
  },
);

/** Values a caller might hand the logger, most of them by accident, none of which may break a line. */
const HOSTILE: readonly (readonly [string, unknown])[] = [
  ["a newline", "first\nsecond"],
  ["CR LF", "first\r\nsecond"],
  ["a tab and NUL", "a\tb\u0000c"],
  ["an ANSI escape", "\u001b[31mred\u001b[0m"],
  ["DEL and C1 controls including NEL", "a\u007fb\u0085c\u009bd"],
  ["Unicode line and paragraph separators", "a\u2028b\u2029c"],
  ["quotes and backslashes", 'say "hi" \\ \\"'],
  ["an equals sign", "key=value"],
  ["emoji and accents", "héllo 🎉"],
  ["a lone surrogate", "bad \ud800 half"],
  ["a 100,000-character string", "x".repeat(100_000)],
  ["a 100,000-character string of newlines", "\n".repeat(100_000)],
  ["an error with a cause", new Error("write failed", { cause: new Error("ENOSPC: no space left on device") })],
  ["an error without a message", new TypeError("")],
  ["a bigint", 2n ** 80n],
  ["a circular object", circular],
  ["the same object twice (not a cycle)", [sharedChild, sharedChild]],
  ["nesting 50 deep", deep],
  ["a 100,000-item array", Array.from({ length: 100_000 }, (_, i) => `item ${i}`)],
  ["an object with 100,000 keys", Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))],
  ["a Map and a Set", [new Map<unknown, unknown>([["a", 1], [{}, 2]]), new Set([1, "two"])]],
  ["dates, one invalid", [new Date(0), new Date(NaN)]],
  ["bytes", new Uint8Array(1_000_000)],
  ["a URL", new URL("http://example.com/a b?c=d")],
  ["NaN and Infinity", [NaN, -Infinity]],
  ["a symbol and a function", [Symbol("s"), function named() {}]],
  ["null and undefined inside", [null, undefined]],
  ["a throwing getter", throwingGetter],
  ["a proxy that refuses to list its keys", hostileProxy],
  ["a toJSON that throws", { toJSON: () => { throw new Error("nope"); } }],
  ["a __proto__ key", JSON.parse('{"__proto__": {"polluted": true}}')],
];

describe.each(["json", "text"] as const)("%s lines stay one line", (format) => {
  const formatLine = format === "json" ? formatJson : formatText;

  test.each(HOSTILE)("whatever a field holds: %s", (_name, value) => {
    const line = formatLine(record("checking\na value", { value, after: "still here" }));
    expect(line).not.toMatch(LINE_BREAK);
    // Bounded: the cap is per value, so one hostile value cannot make the line huge.
    expect(line.length).toBeLessThan(8 * FIELD_CHAR_BUDGET);
    expect(line).toContain("still here");
    if (format === "json") {
      const parsed = JSON.parse(line);
      expect(parsed).toMatchObject({ time: "2026-01-02T03:04:05.678Z", level: "info", message: "checking\na value", after: "still here" });
      expect(Object.keys(parsed)).toContain("value");
    }
  });

  test.each(HOSTILE)("whatever the message holds: %s", (_name, value) => {
    const message = typeof value === "string" ? value : String(value instanceof Error ? value.message : "plain");
    const line = formatLine(record(message));
    expect(line).not.toMatch(LINE_BREAK);
    expect(line.length).toBeLessThan(8 * FIELD_CHAR_BUDGET);
    if (format === "json") expect(typeof JSON.parse(line).message).toBe("string");
  });
});

describe("JSON lines", () => {
  test.each([
    ["an error is its message and its cause's", new Error("write failed", { cause: new Error("ENOSPC") }), "write failed (cause: ENOSPC)"],
    ["a cause already in the message is not repeated", new Error("write failed: ENOSPC", { cause: new Error("ENOSPC") }), "write failed: ENOSPC"],
    ["an error without a message is its name", new TypeError(""), "TypeError"],
    ["a bigint keeps every digit", 2n ** 80n, "1208925819614629174706176"],
    ["a cycle is marked where it closes", circular, { name: "loop", self: "[circular]" }],
    ["an object met twice is no cycle", [sharedChild, sharedChild], [{ id: 1 }, { id: 1 }]],
    ["NaN and Infinity are named, not null", [NaN, -Infinity], ["NaN", "-Infinity"]],
    ["bytes are counted, not dumped", new Uint8Array(3), "[3 bytes]"],
    ["a URL is its text", new URL("http://example.com/x"), "http://example.com/x"],
    ["an invalid date says so", new Date(NaN), "Invalid Date"],
    ["a Map is an object and a Set an array", [new Map([["a", 1]]), new Set([2])], [{ a: 1 }, [2]]],
    ["undefined in an array is null, as in JSON", [undefined], [null]],
    ["a throwing getter costs the value, not the line", throwingGetter, "[unreadable value]"],
    ["a __proto__ key is an ordinary key", JSON.parse('{"__proto__": 1}'), JSON.parse('{"__proto__": 1}')],
  ] as const)("%s", (_name, value, expected) => {
    expect(JSON.parse(formatJson(record("m", { value }))).value).toEqual(expected);
  });

  test("every line has time, level and message, then the fields beside them", () => {
    expect(formatJson(record("reload done", { reasons: ["app added"], ms: 12 }, "warn"))).toBe(
      '{"time":"2026-01-02T03:04:05.678Z","level":"warn","message":"reload done","reasons":["app added"],"ms":12}',
    );
  });

  test("a field named like time, level or message keeps its value under field.<name>", () => {
    const parsed = JSON.parse(formatJson(record("real", { message: "field", level: 3, time: "then" })));
    expect(parsed).toMatchObject({ message: "real", level: "info", "field.message": "field", "field.level": 3, "field.time": "then" });
  });

  test("an absent field is left out", () => {
    expect(Object.keys(JSON.parse(formatJson(record("m", { a: undefined, b: 1 }))))).toEqual(["time", "level", "message", "b"]);
  });

  test("a long value is cut at the cap, with a marker saying how much is missing", () => {
    const value = JSON.parse(formatJson(record("m", { value: "y".repeat(FIELD_CHAR_BUDGET + 500) }))).value as string;
    expect(value).toBe(`${"y".repeat(FIELD_CHAR_BUDGET)}…[500 more chars]`);
  });

  test("a cut never splits a character made of two UTF-16 units", () => {
    const value = JSON.parse(formatJson(record("m", { value: "a" + "🎉".repeat(FIELD_CHAR_BUDGET) }))).value as string;
    expect(value.startsWith("a🎉")).toBe(true);
    expect(value).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  test("a large collection is cut with a count of what was left out", () => {
    const items = JSON.parse(formatJson(record("m", { value: Array.from({ length: 100_000 }, (_, i) => i) }))).value as unknown[];
    expect(items.length).toBeLessThan(2_000);
    expect(items.at(-1)).toMatch(/^\[\d+ more items\]$/);
  });
});

describe("text lines", () => {
  test.each([
    ["a plain word stays bare", "ready", "value=ready"],
    ["a number", 42, "value=42"],
    ["spaces are quoted", "two words", 'value="two words"'],
    ["an empty string is visible", "", 'value=""'],
    ["quotes are escaped inside quotes", 'say "hi"', 'value="say \\"hi\\""'],
    ["an equals sign is quoted", "a=b", 'value="a=b"'],
    ["a newline is an escape inside quotes", "a\nb", 'value="a\\nb"'],
    ["NEL and U+2028 are escapes", "a\u0085b\u2028c", 'value="a\\u0085b\\u2028c"'],
    ["an error is its message", new Error("no route"), 'value="no route"'],
    ["an array is compact JSON", ["a", "b"], 'value="[\\"a\\",\\"b\\"]"'],
  ] as const)("%s", (_name, value, expected) => {
    expect(formatText(record("m", { value }))).toBe(`2026-01-02T03:04:05.678Z INFO  m ${expected}`);
  });

  test("the level is padded so messages line up", () => {
    expect(formatText(record("m", {}, "warn"))).toBe("2026-01-02T03:04:05.678Z WARN  m");
    expect(formatText(record("m", {}, "debug"))).toBe("2026-01-02T03:04:05.678Z DEBUG m");
  });

  test("a message with a newline stays on its line", () => {
    expect(formatText(record("haproxy: a\nb\tc"))).toBe("2026-01-02T03:04:05.678Z INFO  haproxy: a\\nb\\tc");
  });

  test("a key with a space or an equals sign cannot fake another field", () => {
    expect(formatText(record("m", { "a b=c": 1 }))).toBe("2026-01-02T03:04:05.678Z INFO  m a_b_c=1");
  });
});

describe("level filtering", () => {
  test.each([
    ["debug", ["debug", "info", "warn", "error"]],
    ["info", ["info", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
  ] as const)("at %s, the lines written are %p", (threshold, expected) => {
    const written: LogLevel[] = [];
    const log = createLogger({ level: threshold, emit: (r) => written.push(r.level) });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(written).toEqual([...expected]);
  });

  test("a record carries the time it was logged and no fields when none were given", () => {
    const records: LogRecord[] = [];
    createLogger({ level: "info", emit: (r) => records.push(r), now: () => TIME }).info("hello");
    expect(records).toEqual([{ time: TIME, level: "info", message: "hello", fields: {} }]);
  });
});

describe("format auto-detection", () => {
  test.each([
    ["auto", true, "text"],
    ["auto", false, "json"],
    ["text", false, "text"],
    ["json", true, "json"],
  ] as const)("%s with a terminal: %p → %s", (setting, isTerminal, expected) => {
    expect(resolveLogFormat(setting, isTerminal)).toBe(expected);
  });
});
