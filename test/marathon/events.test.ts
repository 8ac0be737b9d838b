/** The SSE parser and the event → change mapping, over Marathon's documented events and a real capture. */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { changeFromCallback, changeOf, EventTooLargeError, SseParser, WATCHED_EVENT_TYPES, type MarathonEvent } from "../../src/marathon/events.ts";
import type { MarathonChange } from "../../src/marathon/types.ts";

const EVENTS = join(import.meta.dir, "..", "fixtures", "marathon", "events");

const app = (appId: string): MarathonChange => ({ kind: "app", appId });
const all = (reason: string): MarathonChange => ({ kind: "all", reason });
/** Group changes and deployments without a plan: a full resync, but one that may wait a moment. */
const later = (reason: string): MarathonChange => ({ kind: "all", reason, lazy: true });
/** Deployments whose plan names the apps. */
const deployed = (reason: string, ...appIds: string[]): MarathonChange => ({ kind: "apps", appIds, reason });

const expectedByFile: Record<string, MarathonChange | null> = {
  "add_health_check_event.json": app("/my-app"),
  "api_post_event.json": app("/my-app"),
  "app_terminated_event.json": app("/my-app"),
  "deployment_failed.json": later("deployment_failed"),
  "deployment_info.json": deployed("deployment_info", "/my-app"),
  "deployment_step_failure.json": deployed("deployment_step_failure", "/my-app"),
  "deployment_step_success.json": deployed("deployment_step_success", "/my-app"),
  "deployment_success.json": later("deployment_success"),
  "event_stream_attached.json": all("event_stream_attached"),
  "event_stream_detached.json": null,
  "failed_health_check_event.json": app("/my-app"),
  "framework_message_event.json": null,
  "group_change_failed.json": later("group_change_failed"),
  "group_change_success.json": later("group_change_success"),
  "health_status_changed_event.json": app("/my-app"),
  "instance_changed_event.json": app("/app-id"),
  "instance_health_changed_event.json": app("/app-id"),
  "pod_created_event.json": null,
  "pod_deleted_event.json": null,
  "pod_updated_event.json": null,
  "remove_health_check_event.json": app("/my-app"),
  "status_update_event.json": app("/my-app"),
  "subscribe_event.json": null,
  "unhealthy_instance_kill_event.json": app("/my-app"),
  "unhealthy_task_kill_event.json": app("/my-app"),
  "unknown_instance_terminated_event.json": app("/app-id"),
  "unsubscribe_event.json": null,
};

/** Large enough for every fixture; the limit itself is tested with its own sizes. */
const MAX_EVENT_BYTES = 1024 * 1024;
const utf8 = (text: string) => new TextEncoder().encode(text);

function parseAll(chunks: readonly (string | Uint8Array)[], maxEventBytes = MAX_EVENT_BYTES): MarathonEvent[] {
  const parser = new SseParser(maxEventBytes);
  return chunks.flatMap((c) => parser.feed(typeof c === "string" ? utf8(c) : c));
}

/** Frames a body as Marathon does: `event:`/`data:` lines, CRLF, blank line. */
function frame(type: string, body: string): string {
  return `event: ${type}\r\ndata: ${body}\r\n\r\n`;
}

describe("every documented Marathon event maps to the right change", () => {
  const files = readdirSync(EVENTS).filter((f) => f.endsWith(".json")).sort();
  test("every event fixture has an expectation", () => {
    expect(files).toEqual(Object.keys(expectedByFile).sort());
  });
  test.each(files)("%s, as a stream frame and as a callback body", async (file) => {
    const text = await Bun.file(join(EVENTS, file)).text();
    const body = JSON.parse(text);
    const events = parseAll([frame(body.eventType, JSON.stringify(body))]);
    expect(events).toHaveLength(1);
    expect(events[0]?.eventType).toBe(body.eventType);
    expect(changeOf(events[0]!)).toEqual(expectedByFile[file] ?? null);
    expect(changeFromCallback(text)).toEqual(expectedByFile[file] ?? null);
    expect(changeFromCallback(body)).toEqual(expectedByFile[file] ?? null);
  });
  test("the stream filter asks for exactly the events that cause a change", () => {
    const acted = Object.entries(expectedByFile).filter(([, c]) => c !== null).map(([f]) => f.replace(/\.json$/, ""));
    for (const type of acted) expect(WATCHED_EVENT_TYPES).toContain(type);
  });
});

describe("a deployment's apps come from its plan", () => {
  test.each([
    ["steps of actions, as Marathon 1.x writes them", { plan: { id: "d", steps: [{ actions: [{ action: "ScaleApplication", app: "/b" }, { action: "StartApplication", app: "a" }] }] } }, deployed("deployment_success", "/a", "/b")],
    ["the current step only", { currentStep: { actions: [{ action: "RestartApplication", app: "/c" }] } }, deployed("deployment_success", "/c")],
    ["pods only: no app named", { plan: { steps: [{ actions: [{ action: "StartPod", pod: "/p" }] }] } }, later("deployment_success")],
    ["a plan without steps", { id: "d", plan: { id: "d", version: "v" } }, later("deployment_success")],
    ["an unreadable plan", { plan: "nonsense", currentStep: [1, 2] }, later("deployment_success")],
  ])("%s", (_name, body, expected) => {
    expect(changeFromCallback({ eventType: "deployment_success", ...body })).toEqual(expected);
  });
});

describe("the real capture events.txt", () => {
  const expected = [
    { eventType: "event_stream_attached", change: all("event_stream_attached") },
    { eventType: "status_update_event", change: app("/foo") },
    { eventType: "status_update_event", change: app("/test-app") },
  ];
  const summary = (events: MarathonEvent[]) => events.map((e) => ({ eventType: e.eventType, change: changeOf(e) }));

  test("parses whole, with LF line ends", async () => {
    const text = await Bun.file(join(EVENTS, "events.txt")).text();
    expect(summary(parseAll([text]))).toEqual(expected);
  });

  test("parses with CRLF line ends split at every possible point", async () => {
    const text = (await Bun.file(join(EVENTS, "events.txt")).text()).replace(/\n/g, "\r\n");
    for (let cut = 1; cut < text.length; cut++) {
      expect(summary(parseAll([text.slice(0, cut), text.slice(cut)]))).toEqual(expected);
    }
  });

  test("parses fed one byte at a time", async () => {
    const text = (await Bun.file(join(EVENTS, "events.txt")).text()).replace(/\n/g, "\r\n");
    expect(summary(parseAll([...utf8(text)].map((b) => Uint8Array.of(b))))).toEqual(expected);
  });
});

describe("stream framing quirks", () => {
  const cases: { name: string; chunks: string[]; types: string[] }[] = [
    { name: "bare CRLF heartbeats produce nothing", chunks: ["\r\n", "\r\n\r\n", "\n"], types: [] },
    { name: "comments are ignored", chunks: [": keep-alive\r\n", frame("app_terminated_event", '{"eventType":"app_terminated_event","appId":"/a"}')], types: ["app_terminated_event"] },
    { name: "two JSON objects in one data field separated by CRLF are two events", chunks: ['event: status_update_event\r\ndata: {"eventType":"status_update_event","appId":"/a"}\r\n{"eventType":"status_update_event","appId":"/b"}\r\n\r\n'], types: ["status_update_event", "status_update_event"] },
    { name: "lone CR line ends work", chunks: ['event: x\rdata: {"eventType":"app_terminated_event","appId":"/a"}\r\r', ": a lone CR is only known once the next byte arrives\r"], types: ["app_terminated_event"] },
    { name: "an event without a trailing blank line is not emitted yet", chunks: ['data: {"eventType":"app_terminated_event","appId":"/a"}\r\n'], types: [] },
    { name: "a JSON object spread over several data lines is one event", chunks: ['data: {"eventType":"app_terminated_event",\ndata: "appId":"/a"}\n\n'], types: ["app_terminated_event"] },
    { name: "the type comes from the SSE field when the body lacks eventType", chunks: ['event: deployment_success\ndata: {"id":"x"}\n\n'], types: ["deployment_success"] },
  ];
  test.each(cases)("$name", ({ chunks, types }) => {
    expect(parseAll(chunks).map((e) => e.eventType)).toEqual(types);
  });

  test("unreadable data asks for a full resync instead of being dropped", () => {
    const events = parseAll(["event: status_update_event\ndata: {not json\n\n"]);
    expect(events.map((e) => [e.malformed, changeOf(e)?.kind])).toEqual([[true, "all"]]);
  });

  test("ids without a leading slash are made absolute", () => {
    expect(changeFromCallback({ eventType: "status_update_event", appId: "grp/app" })).toEqual(app("/grp/app"));
  });

  test("an api_post_event without an app definition (a group update) resyncs everything", () => {
    expect(changeFromCallback({ eventType: "api_post_event", uri: "/v2/groups/x" })?.kind).toBe("all");
  });

  test("an unknown event type is ignored", () => {
    expect(changeFromCallback({ eventType: "something_new", appId: "/a" })).toBeNull();
  });
});

describe("bounded events", () => {
  const LIMIT = 64 * 1024;
  const terminated = (appId: string) => `{"eventType":"app_terminated_event","appId":"${appId}"}`;

  test("a character split between chunks is decoded whole", () => {
    const bytes = utf8(`data: ${terminated("/caf\u00e9")}\n\n`);
    const cut = bytes.indexOf(0xc3) + 1;
    expect(parseAll([bytes.subarray(0, cut), bytes.subarray(cut)]).map((e) => changeOf(e))).toEqual([app("/café")]);
  });

  const refused: { name: string; chunks: string[] }[] = [
    { name: "a line that never ends", chunks: ["data: {", "x".repeat(LIMIT)] },
    { name: "a comment line that never ends", chunks: [`: ${"x".repeat(LIMIT)}`] },
    { name: "an event whose data lines together pass the limit", chunks: Array.from({ length: 70 }, () => `data: ${"x".repeat(1024)}\n`) },
    { name: "a line past the limit that ends in the same chunk", chunks: [`data: ${"x".repeat(LIMIT)}\n\n`] },
  ];
  test.each(refused)("refused: $name", ({ chunks }) => {
    expect(() => parseAll(chunks, LIMIT)).toThrow(EventTooLargeError);
    expect(() => parseAll(chunks, LIMIT)).toThrow("larger than 64KiB");
  });

  test("the limit is per event: many events, each under it, pass", () => {
    const event = `event: app_terminated_event\r\ndata: ${terminated(`/${"a".repeat(LIMIT / 2)}`)}\r\n\r\n`;
    expect(parseAll(Array.from({ length: 8 }, () => event), LIMIT)).toHaveLength(8);
  });

  test("comments and heartbeats between events do not add up", () => {
    const comment = `: ${"x".repeat(1024)}\r\n`;
    expect(parseAll([...Array.from({ length: 100 }, () => comment), `data: ${terminated("/a")}\n\n`], LIMIT)).toHaveLength(1);
  });

  test("time is linear: a line of nearly the limit, fed in small chunks, is read at once", () => {
    // Rescanning the buffer from its start on every chunk made this take minutes (3,840
    // chunks, each rescanning up to 15 MiB); read once, it takes milliseconds.
    const chunk = utf8("x".repeat(4096));
    const parser = new SseParser(16 * 1024 * 1024);
    const started = performance.now();
    parser.feed(utf8("data: {"));
    for (let i = 0; i < 3840; i++) parser.feed(chunk);
    const events = parser.feed(utf8("}\n\n"));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(events.map((e) => e.malformed)).toEqual([true]);
  });
});
