/** MarathonTransport against hostile answers: size limits, endless bodies and garbage end early and say why. */
import { afterEach, describe, expect, test } from "bun:test";
import { expectMarathonError } from "./builders.ts";
import { MarathonTransport, type MarathonConnection } from "../../src/marathon/transport.ts";

const LIMIT = 64 * 1024;
const CHUNK = 16 * 1024;

const servers: Array<ReturnType<typeof Bun.serve>> = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.stop(true);
});

/** A stand-in Marathon answering every request with `answer()`; counts requests. */
function serve(answer: () => Response): { url: string; requests: () => number } {
  let requests = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => {
      requests++;
      return answer();
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}`, requests: () => requests };
}

/** A body of `head` then `fill` repeated up to `total` bytes (forever when null), chunk by chunk; tells whether the reader cancelled it. */
function streamed(head: string, fill: number, total: number | null): { body: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let sent = 0;
  let cancelled = false;
  const first = new TextEncoder().encode(head);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0 && first.length > 0) {
        sent += first.length;
        controller.enqueue(first);
        return;
      }
      const size = total === null ? CHUNK : Math.min(CHUNK, total - sent);
      if (size <= 0) return controller.close();
      sent += size;
      controller.enqueue(new Uint8Array(size).fill(fill));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { body, cancelled: () => cancelled };
}

function transport(endpoints: string[], extra: Partial<MarathonConnection> = {}): MarathonTransport {
  return new MarathonTransport({ endpoints, user: "", password: "", authToken: "", caCertPath: "", requestTimeoutMs: 5_000, maxResponseBytes: LIMIT, ...extra });
}


/** Polls until `probe` holds; the server side of a cancelled read learns of it a moment later. */
async function eventually(probe: () => boolean): Promise<void> {
  const deadline = performance.now() + 2_000;
  while (!probe() && performance.now() < deadline) await Bun.sleep(5);
  expect(probe()).toBe(true);
}

describe("the size limit", () => {
  test("an endless answer is refused once it passes the limit, naming the limit, the setting and what to do", async () => {
    const endless = streamed('{"apps":["', 0x61, null);
    const m = serve(() => new Response(endless.body, { headers: { "content-type": "application/json" } }));
    const started = performance.now();
    const error = await expectMarathonError(transport([m.url]).json("/v2/apps"));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.message).toContain("the answer is larger than MARATHON_MAX_RESPONSE_SIZE allows (64KiB)");
    expect(error.message).toContain("stopped reading after 64KiB");
    expect(error.message).toContain("raise MARATHON_MAX_RESPONSE_SIZE if the cluster is really that big");
    // The connection is closed, not drained.
    await eventually(endless.cancelled);
  });

  test("a Content-Length above the limit is refused before reading", async () => {
    const m = serve(() => new Response(`{"apps":[${'"x",'.repeat(LIMIT / 4)}"x"]}`, { headers: { "content-type": "application/json" } }));
    const error = await expectMarathonError(transport([m.url]).json("/v2/apps"));
    expect(error.message).toContain("larger than MARATHON_MAX_RESPONSE_SIZE allows (64KiB)");
    expect(error.message).toMatch(/announced \d+ bytes in its Content-Length; not read/);
  });

  test("an answer of exactly the limit is read; one byte more is refused", async () => {
    const exactly = (size: number) => `{"a":"${"x".repeat(size - 8)}"}`;
    let size = LIMIT;
    const m = serve(() => new Response(streamed(exactly(size), 0, 0).body));
    expect((await transport([m.url]).json("/v2/apps")).body).toEqual({ a: "x".repeat(LIMIT - 8) });
    size = LIMIT + 1;
    expect((await expectMarathonError(transport([m.url]).json("/v2/apps"))).message).toContain("stopped reading");
  });

  test("a compressed answer counts by its decompressed size", async () => {
    const bomb = Bun.gzipSync(new TextEncoder().encode(`{"a":"${"x".repeat(LIMIT * 4)}"}`));
    expect(bomb.byteLength).toBeLessThan(LIMIT);
    const m = serve(() => new Response(bomb, { headers: { "content-encoding": "gzip", "content-type": "application/json" } }));
    expect((await expectMarathonError(transport([m.url]).json("/v2/apps"))).message).toContain("stopped reading");
  });

  test("an oversized answer is not asked of the next endpoint: it serves the same cluster", async () => {
    const big = serve(() => new Response(streamed("{", 0x20, null).body));
    const other = serve(() => Response.json({ apps: [] }));
    await expectMarathonError(transport([big.url, other.url]).json("/v2/apps"));
    expect(other.requests()).toBe(0);
  });

  test("an answer that trickles forever ends with the request timeout", async () => {
    const trickle = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await Bun.sleep(20);
        controller.enqueue(new TextEncoder().encode(" "));
      },
    });
    const m = serve(() => new Response(trickle));
    const error = await expectMarathonError(transport([m.url], { requestTimeoutMs: 300 }).json("/v2/apps"));
    expect(error.message).toContain("timed out after 300 ms");
  });
});

describe("garbage", () => {
  test("endless [ is refused at its first byte, long before the limit or the timeout", async () => {
    const garbage = streamed("", 0x5b, null);
    const m = serve(() => new Response(garbage.body));
    const started = performance.now();
    const error = await expectMarathonError(transport([m.url], { maxResponseBytes: 256 * 1024 * 1024, requestTimeoutMs: 10_000 }).json("/v2/apps"));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.message).toContain("answered 200, but Marathon's answer is not JSON: unexpected '[' at byte 0, expected '{' (the answer must be a JSON object)");
    await eventually(garbage.cancelled);
  });

  test("garbage after a valid answer is refused at its offset", async () => {
    const m = serve(() => new Response('{"apps":[]} <html>'));
    expect((await expectMarathonError(transport([m.url]).json("/v2/apps"))).message).toContain("unexpected '<' at byte 12");
  });

  test("an answer cut short is refused", async () => {
    const m = serve(() => new Response('{"apps":[{"id":"/a"'));
    expect((await expectMarathonError(transport([m.url]).json("/v2/apps"))).message).toContain("ends before the JSON is complete (at byte 19)");
  });

  test("a garbage endpoint is skipped for the next one", async () => {
    const bad = serve(() => new Response("[[[["));
    const good = serve(() => Response.json({ apps: [] }));
    const answer = await transport([bad.url, good.url]).json("/v2/apps");
    expect(answer).toMatchObject({ status: 200, body: { apps: [] }, url: `${good.url}/v2/apps` });
  });

  test("a huge error page is read only as far as its message needs", async () => {
    const page = streamed("<html>Bad Gateway", 0x20, null);
    const m = serve(() => new Response(page.body, { status: 502 }));
    const error = await expectMarathonError(transport([m.url], { maxResponseBytes: 256 * 1024 * 1024 }).json("/v2/apps"));
    expect(error.message).toContain('answered 502 Bad Gateway "<html>Bad Gateway"');
    await eventually(page.cancelled);
  });
});

describe("a list read element by element", () => {
  /** `text` in chunks of `size` bytes, as a slow or small-buffered connection delivers it. */
  const inChunks = (text: string, size: number) => {
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, (at += size)));
      },
    });
  };
  const apps = [{ id: "/a", env: { K: "é €" } }, { id: "/b", tasks: [{ id: "t", ports: [1, 2] }] }, { id: "/c" }];
  const split = { key: "apps", element: (raw: unknown) => (raw as { id: string }).id };

  test("each element is handed over as parsed, the list is empty in the body and the rest of it is kept, however the bytes arrive", async () => {
    const text = JSON.stringify({ before: [1], apps, after: { apps: [2] } }, null, 1);
    for (const size of [1, 7, 64, text.length]) {
      const m = serve(() => new Response(inChunks(text, size)));
      const answer = await transport([m.url]).json("/v2/apps", { split });
      expect(answer.elements).toEqual(["/a", "/b", "/c"]);
      expect(answer.body).toEqual({ before: [1], apps: [], after: { apps: [2] } });
    }
  });

  test("an answer that stops being JSON after its elements is refused all the same", async () => {
    const m = serve(() => new Response(inChunks(`{"apps":${JSON.stringify(apps)}} <html>`, 16)));
    expect((await expectMarathonError(transport([m.url]).json("/v2/apps", { split }))).message).toContain("unexpected '<'");
  });

  test("the size limit counts every byte, the elements' too", async () => {
    const many = JSON.stringify({ apps: Array.from({ length: LIMIT / 8 }, (_, i) => ({ id: `/${i}` })) });
    const m = serve(() => new Response(inChunks(many, 1024)));
    expect((await expectMarathonError(transport([m.url]).json("/v2/apps", { split }))).message).toContain("stopped reading after 64KiB");
  });
});
