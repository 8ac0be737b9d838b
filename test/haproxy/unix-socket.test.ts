import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SocketError } from "../../src/haproxy/errors.ts";
import { sendOverUnixSocket, streamOverUnixSocket } from "../../src/haproxy/unix-socket.ts";

const dirs: string[] = [];
const servers: Server[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A UNIX socket peer that reads the request, answers with `reply` in writes of `writeBytes`, then closes. */
async function peer(reply: (request: string) => string, writeBytes = 64 * 1024): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "bamboo-unix-socket-"));
  dirs.push(dir);
  const path = join(dir, "sock");
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    let request = "";
    // A reader that gave up closes its end while the rest is written.
    socket.on("error", () => {});
    socket.on("data", (chunk) => (request += chunk.toString("utf8")));
    socket.on("end", () => {
      const bytes = Buffer.from(reply(request), "utf8");
      for (let at = 0; at < bytes.length; at += writeBytes) socket.write(bytes.subarray(at, at + writeBytes));
      socket.end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return path;
}

/** 3 MB of numbered lines, with multi-byte characters that writes split. */
const BIG = Array.from({ length: 60_000 }, (_, i) => `line ${i} ünïcødé ✓ ${"x".repeat(30)}\n`).join("");

test("a reply arrives whole and in order, however it was split", async () => {
  const path = await peer((request) => `asked: ${request}${BIG}`, 7_777);
  expect(await sendOverUnixSocket(path, "show stat")).toBe(`asked: show stat\n${BIG}`);
});

test("a slow reader is handed the whole reply in order, one piece at a time", async () => {
  const path = await peer(() => BIG);
  const parts: string[] = [];
  let inFlight = 0;
  let most = 0;
  await streamOverUnixSocket(path, "show stat", async (text) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await Bun.sleep(0);
    parts.push(text);
    inFlight--;
  });
  expect(parts.join("")).toBe(BIG);
  expect(parts.length).toBeGreaterThan(1);
  // One piece at a time: the next is handed over only once the last was taken.
  expect(most).toBe(1);
});

test("what the reader throws rejects the exchange as thrown", async () => {
  const path = await peer(() => BIG);
  const refused = new Error("not a stat answer");
  await expect(streamOverUnixSocket(path, "show stat", () => { throw refused; })).rejects.toBe(refused);
});

test("a socket nobody listens on is a SocketError naming it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bamboo-unix-socket-"));
  dirs.push(dir);
  const error = await sendOverUnixSocket(join(dir, "absent"), "show info").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SocketError);
  expect(String((error as Error).message)).toContain(join(dir, "absent"));
});

test("a reader that takes each piece at once is handed the whole reply", async () => {
  const path = await peer(() => BIG, 5_000);
  const parts: string[] = [];
  await streamOverUnixSocket(path, "show stat", (text) => void parts.push(text));
  expect(parts.join("")).toBe(BIG);
});

test("a reader that waits only now and then is handed the whole reply in order", async () => {
  const path = await peer(() => BIG, 3_000);
  const parts: string[] = [];
  let calls = 0;
  await streamOverUnixSocket(path, "show stat", (text) => {
    parts.push(text);
    return ++calls % 3 === 0 ? Bun.sleep(1) : undefined;
  });
  expect(parts.join("")).toBe(BIG);
});
