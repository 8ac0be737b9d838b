import { afterAll, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessLogRelay } from "../../src/haproxy/access-log-relay.ts";

const dir = mkdtempSync(join(tmpdir(), "bamboo-relay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Relays `chunks` (split anywhere, as a pipe delivers them) into a file; what it holds and the notices kept out. */
async function relayed(chunks: readonly string[]): Promise<{ written: string; notices: string[] }> {
  const path = join(dir, `${crypto.randomUUID()}.log`);
  const fd = openSync(path, "a");
  const notices: string[] = [];
  const relay = new AccessLogRelay({ fd, notice: (line) => notices.push(line), trouble: () => undefined });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
  await relay.relay(stream);
  closeSync(fd);
  return { written: readFileSync(path, "utf8"), notices };
}

test.each<[string, string[], string, string[]]>([
  ["request lines pass as they are", ['{"a":1}\n{"b":2}\n'], '{"a":1}\n{"b":2}\n', []],
  ["a line split across chunks is joined", ['{"a":', '1}\n{"b"', ":2}\n"], '{"a":1}\n{"b":2}\n', []],
  ["a reload's notices are kept out", ['{"a":1}\nProxy http-in stopped (cumulated conns: FE: 1, BE: 0).\n{"b":2}\n'], '{"a":1}\n{"b":2}\n', ["Proxy http-in stopped (cumulated conns: FE: 1, BE: 0)."]],
  ["a notice alone in its chunk", ["Proxy stats stopped (cumulated conns: FE: 0, BE: 0).\n"], "", ["Proxy stats stopped (cumulated conns: FE: 0, BE: 0)."]],
  ["a text request line that mentions a proxy passes", ['127.0.0.1:1 [29/Nov] http-in app/s1 0/0/0/1/1 200 5 - - ---- 1/1/0/0/0 0/0 "GET /Proxy HTTP/1.1"\n'], '127.0.0.1:1 [29/Nov] http-in app/s1 0/0/0/1/1 200 5 - - ---- 1/1/0/0/0 0/0 "GET /Proxy HTTP/1.1"\n', []],
  ["UTF-8 split inside a character", ["{\"p\":\"caf\u00c3", "\u00a9\"}\n"], "{\"p\":\"caf\u00c3\u00a9\"}\n", []],
  ["an unfinished last line is not written", ['{"a":1}\n{"b":'], '{"a":1}\n', []],
])("%s", async (_name, chunks, written, notices) => {
  expect(await relayed(chunks)).toEqual({ written, notices });
});

test("a run-away line with no end is dropped, not kept growing", async () => {
  const { written } = await relayed(["x".repeat(40_000), "y".repeat(40_000), 'yyy\n{"a":1}\n']);
  expect(written).toBe('{"a":1}\n');
});

test("a destination that refuses lines is said once, and again when it takes them", async () => {
  const told: (string | null)[] = [];
  const fd = openSync("/dev/full", "w");
  const relay = new AccessLogRelay({ fd, notice: () => undefined, trouble: (reason) => told.push(reason) });
  const lines = (count: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < count; i++) controller.enqueue(new TextEncoder().encode(`{"n":${i}}\n`));
        controller.close();
      },
    });
  await relay.relay(lines(3));
  closeSync(fd);
  expect(told).toEqual([expect.stringContaining("ENOSPC")]);
});
