import { describe, expect, test } from "bun:test";
import { EventStreamParser } from "../../src/http/ui/client/event-stream.ts";

/** Feeds `text` cut into chunks of `size` characters and collects every event. */
function parse(text: string, size: number, maxChars = 1_000) {
  const parser = new EventStreamParser(maxChars);
  const events = [];
  for (let at = 0; at < text.length; at += size) events.push(...parser.push(text.slice(at, at + size)));
  return { events, lastEventId: parser.lastEventId };
}

describe("reading the live stream without EventSource", () => {
  const stream = ': up to date\n\nid: 1.2\nevent: overview\ndata: {"a":1}\n\n: ping\n\nid: 1.3\nevent: changes\ndata: line one\ndata: line two\n\n';
  const expected = [
    { id: "1.2", event: "overview", data: '{"a":1}' },
    { id: "1.3", event: "changes", data: "line one\nline two" },
  ];

  test.each([1, 2, 3, 7, 1_000])("events and comments come out the same whatever the chunks (%i characters)", (size) => {
    expect(parse(stream, size)).toEqual({ events: expected, lastEventId: "1.3" });
  });

  test.each([1, 5, 1_000])("CRLF and CR line endings work too, even split between chunks (%i)", (size) => {
    expect(parse(stream.replaceAll("\n", "\r\n"), size).events).toEqual(expected);
    expect(parse(stream.replaceAll("\n", "\r"), size).events).toEqual(expected);
  });

  test("an event without data is not dispatched, and its name does not leak into the next", () => {
    expect(parse("event: overview\n\ndata: x\n\n", 4).events).toEqual([{ id: "", event: "message", data: "x" }]);
  });

  test("an unfinished event is held until its blank line", () => {
    const parser = new EventStreamParser(100);
    expect(parser.push("event: overview\ndata: {")).toEqual([]);
    expect(parser.push('"a":1}\n\n')).toEqual([{ id: "", event: "overview", data: '{"a":1}' }]);
  });

  test("the buffer is bounded: an event larger than the limit throws, in one line or many", () => {
    expect(() => parse(`data: ${"x".repeat(200)}`, 10, 100)).toThrow("larger than 100 characters");
    expect(() => parse("data: xxxxxxxxxx\n".repeat(20), 7, 100)).toThrow("larger than 100 characters");
    expect(parse(`data: ${"x".repeat(80)}\n\n`.repeat(5), 9, 100).events).toHaveLength(5);
  });
});
