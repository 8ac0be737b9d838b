import { afterEach, describe, expect, test } from "bun:test";
import type { OverviewBody } from "../../src/http/overview.ts";
import { OverviewFeed } from "../../src/http/overview-feed.ts";
import type { Overview, OverviewApp, OverviewChanges } from "../../src/http/ui/api-types.ts";
import { silentLogger } from "../../src/system/log.ts";

/** A feed over a body the test changes; HAProxy is never asked (no states). */
function feed() {
  let body: OverviewBody = { apps: [], orphanServices: [], warnings: [], overlaps: [] };
  const overviewFeed = new OverviewFeed({ build: () => body, haproxyStates: async () => new Map(), pollMs: 60_000, log: silentLogger });
  return {
    feed: overviewFeed,
    change(orphan: string) {
      body = { ...body, orphanServices: [{ id: orphan, acl: `hdr(host) -i ${orphan.slice(1)}.local` }] };
      overviewFeed.invalidate();
    },
  };
}

interface StreamEvent {
  readonly id?: string;
  readonly overview?: Overview;
  readonly changes?: OverviewChanges;
  readonly comment?: string;
}

/** Reads server-sent events from a response until `count` events or comments arrived. */
async function readEvents(response: Response, count: number): Promise<StreamEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: StreamEvent[] = [];
  let buffer = "";
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith(":")) events.push({ comment: block.slice(1).trim() });
      else {
        const field = (name: string) => block.split("\n").find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        const data = JSON.parse(field("data")!);
        events.push(field("event") === "changes" ? { id: field("id"), changes: data as OverviewChanges } : { id: field("id"), overview: data as Overview });
      }
    }
  }
  reader.releaseLock();
  return events;
}

const open: AbortController[] = [];
afterEach(() => {
  for (const controller of open.splice(0)) controller.abort();
});

function subscribe(overviewFeed: OverviewFeed, path = "/api/events", headers: Record<string, string> = {}): Response {
  const controller = new AbortController();
  open.push(controller);
  return overviewFeed.stream(new Request(`http://bamboo.invalid${path}`, { headers, signal: controller.signal }));
}

describe("the overview stream", () => {
  const feedUnderTest = feed().feed;

  test("starts with the current overview, its event id as the SSE id, then sends each change as changes", async () => {
    const { feed: overviewFeed, change } = feed();
    const current = overviewFeed.current();
    const response = subscribe(overviewFeed);
    // The stream subscribes as it is created, so a change made now reaches it.
    const reading = readEvents(response, 2);
    change("/later");
    const [first, second] = await reading;
    expect(first).toEqual({ id: current.eventId, overview: current });
    expect(second!.changes!.orphanServices.map((s) => s.id)).toEqual(["/later"]);
    expect(second!.id).toBe(second!.changes!.eventId);
    expect(second!.changes!.version).toBe(current.version + 1);
  });

  test.each([
    ["?since= the page's first GET", (id: string) => subscribe(feedUnderTest, `/api/events?since=${encodeURIComponent(id)}`)],
    ["Last-Event-ID on a reconnect", (id: string) => subscribe(feedUnderTest, "/api/events", { "last-event-id": id })],
  ])("a client that has the current overview (%s) is not sent it again", async (_how, connect) => {
    const [event] = await readEvents(connect(feedUnderTest.current().eventId), 1);
    expect(event).toEqual({ comment: "up to date" });
  });

  test("an id from an older overview, or from before a restart, gets the current one", async () => {
    const { feed: overviewFeed, change } = feed();
    const old = overviewFeed.current().eventId;
    change("/newer");
    const current = overviewFeed.current();
    const [event] = await readEvents(subscribe(overviewFeed, `/api/events?since=${old}`), 1);
    expect(event!.overview).toEqual(current);
    const restarted = feed().feed;
    expect(restarted.current().version).toBe(current.version - 1);
    const [fromOtherProcess] = await readEvents(subscribe(restarted, "/api/events", { "last-event-id": `${old.split(".")[0]}.${restarted.current().version}` }), 1);
    expect(fromOtherProcess!.overview).toEqual(restarted.current());
  });

  test("the JSON served is the overview, and a rebuild that changes nothing keeps its version", () => {
    const row = { id: "/a", rule: { acl: "path_beg -i /a", source: "default" as const }, instances: 1, tasks: { total: 1, healthy: 1, routed: 1 }, servers: [], status: "no-rule" as const, statusText: "no rule yet" };
    let apps = [row];
    const overviewFeed = new OverviewFeed({ build: () => ({ apps, orphanServices: [], warnings: [], overlaps: [] }), haproxyStates: async () => new Map(), pollMs: 60_000, log: silentLogger });
    const first = overviewFeed.current();
    expect(JSON.parse(overviewFeed.currentJson())).toEqual(first);
    overviewFeed.invalidate();
    expect(overviewFeed.current().version).toBe(first.version);
    // A row is compared by identity: a new object is a change, even with equal content.
    apps = [{ ...row, instances: 2 }];
    overviewFeed.invalidate();
    expect(overviewFeed.current().version).toBe(first.version + 1);
    expect(JSON.parse(overviewFeed.currentJson()).apps[0].instances).toBe(2);
  });

  test("a change carries only the rows that changed and the ids removed", async () => {
    const row = (id: string, instances = 1): OverviewApp => ({ id, rule: { acl: `path_beg -i ${id}`, source: "default" }, instances, tasks: { total: instances, healthy: instances, routed: instances }, servers: [], status: "no-rule", statusText: "no rule yet" });
    const [a, b, c] = [row("/a"), row("/b"), row("/c")];
    let apps = [a, b, c];
    const overviewFeed = new OverviewFeed({ build: () => ({ apps, orphanServices: [], warnings: [], overlaps: [] }), haproxyStates: async () => new Map(), pollMs: 60_000, log: silentLogger });
    const reading = readEvents(subscribe(overviewFeed), 2);
    const scaled = row("/b", 3);
    apps = [a, scaled, row("/d")];
    overviewFeed.invalidate();
    const [, event] = await reading;
    expect(event!.changes!.apps.map((r) => [r.id, r.instances])).toEqual([["/b", 3], ["/d", 1]]);
    expect(event!.changes!.removed).toEqual(["/c"]);
  });
});

describe("events the stream carries besides the overview", () => {
  test("a new stream gets each extra's opening events without an id, then what it sends, until the stream ends", async () => {
    const sends = new Set<(event: string, json: string) => void>();
    const overviewFeed = new OverviewFeed({
      build: () => ({ apps: [], orphanServices: [], warnings: [], overlaps: [] }),
      haproxyStates: async () => new Map(),
      pollMs: 60_000,
      log: silentLogger,
      extras: [
        {
          opening: () => [{ event: "traffic-history", json: '{"times":[]}' }],
          subscribe: (send) => {
            sends.add(send);
            return () => sends.delete(send);
          },
        },
      ],
    });
    const controller = new AbortController();
    const response = overviewFeed.stream(new Request("http://bamboo.invalid/api/events", { signal: controller.signal }));
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (marker: string) => {
      while (!text.includes(marker)) text += decoder.decode((await reader.read()).value, { stream: true });
    };
    await readUntil('data: {"times":[]}\n\n');
    expect(text).toContain('event: traffic-history\ndata: {"times":[]}\n\n');
    // The overview came first, with its id; the extra's event has none, so Last-Event-ID keeps naming the overview.
    expect(text.indexOf("event: overview")).toBeLessThan(text.indexOf("event: traffic-history"));
    expect(text).not.toMatch(/id: [^\n]*\nevent: traffic-history/);
    for (const send of sends) send("traffic", '{"at":1}');
    await readUntil('{"at":1}');
    expect(text).toContain('event: traffic\ndata: {"at":1}\n\n');
    controller.abort();
    expect(sends.size).toBe(0);
    reader.releaseLock();
  });
});
