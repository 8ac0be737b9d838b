import { afterEach, describe, expect, test } from "bun:test";
import type { OverviewBody } from "../../src/http/overview.ts";
import { OverviewFeed } from "../../src/http/overview-feed.ts";
import type { Overview } from "../../src/http/ui/api-types.ts";
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

/** Reads server-sent events from a response until `count` overviews or comments arrived. */
async function readEvents(response: Response, count: number): Promise<{ id?: string; overview?: Overview; comment?: string }[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: { id?: string; overview?: Overview; comment?: string }[] = [];
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
        events.push({ id: field("id"), overview: JSON.parse(field("data")!) as Overview });
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

  test("starts with the current overview, its event id as the SSE id, then sends each change", async () => {
    const { feed: overviewFeed, change } = feed();
    const current = overviewFeed.current();
    const response = subscribe(overviewFeed);
    // The stream subscribes as it is created, so a change made now reaches it.
    const reading = readEvents(response, 2);
    change("/later");
    const [first, second] = await reading;
    expect(first).toEqual({ id: current.eventId, overview: current });
    expect(second!.overview!.orphanServices.map((s) => s.id)).toEqual(["/later"]);
    expect(second!.id).toBe(second!.overview!.eventId);
    expect(second!.overview!.version).toBe(current.version + 1);
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
});
