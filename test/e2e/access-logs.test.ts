import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/**
 * Issue 19 item 1: HAProxy's access logs, one line per request, written by the workers
 * themselves: JSON lines stay valid whatever a client sends, and lines keep coming from old
 * workers across a reload.
 */

interface AccessLine {
  time: string;
  client: string;
  method: string;
  host: string;
  path: string;
  status: number;
  bytes: number;
  Tt: number;
  backend: string;
  server: string;
  termination: string;
  tls: number;
}

/** Sends raw bytes as one HTTP/1.1 request on `socket` and resolves with the status line once the answer starts. */
function rawRequest(socket: Socket, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      socket.off("error", reject);
      resolve(chunk.toString("latin1").split("\r\n")[0]!);
    };
    socket.once("data", onData);
    socket.once("error", reject);
    socket.write(bytes);
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

const request = (path: Buffer | string, host = "shop.example") =>
  Buffer.concat([Buffer.from("GET "), Buffer.isBuffer(path) ? path : Buffer.from(path), Buffer.from(` HTTP/1.1\r\nHost: ${host}\r\n\r\n`)]);

describe("JSON access logs to a file", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;
  let dir: string;
  let logFile: string;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bamboo-access-"));
    logFile = join(dir, "access.log");
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/shop", instances: 1 });
    bamboo = await startAppliance({ marathonUrl: sim.url, env: { HAPROXY_ACCESS_LOG: "json", HAPROXY_ACCESS_LOG_TARGET: logFile } });
    await bamboo.waitReady();
    const put = await fetch(`${bamboo.api}/api/services/shop`, { method: "PUT", headers: bamboo.writer, body: JSON.stringify({ Acl: "hdr(host) -i shop.example" }) });
    expect(put.status).toBe(200);
    port = Number(new URL(bamboo.http).port);
  });

  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Every line written so far, each parsed: a line that is not JSON fails the test here. */
  const lines = async (): Promise<AccessLine[]> =>
    (await readFile(logFile, "utf8").catch(() => ""))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as AccessLine);

  test("a request routed to an app gives one line with what happened", async () => {
    const socket = await openSocket(port);
    expect(await rawRequest(socket, request("/cart?item=1"))).toBe("HTTP/1.1 200 OK");
    socket.destroy();
    await eventually("the line", async () => (await lines()).some((line) => line.path === "/cart"), 5_000);
    const line = (await lines()).find((entry) => entry.path === "/cart")!;
    expect(line).toMatchObject({ client: "127.0.0.1", method: "GET", host: "shop.example", status: 200, tls: 0, termination: "--" });
    expect(line.backend).toMatch(/shop-cluster$/);
    expect(line.server).not.toBe("<NOSRV>");
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(line.bytes).toBeGreaterThan(0);
  });

  test("hostile requests still give one valid JSON line each", async () => {
    const hostile: Buffer[] = [
      Buffer.from('/quote"and\\backslash'),
      Buffer.from("/caf\u00e9/\u65e5\u672c", "utf8"),
      Buffer.from([0x2f, 0x01, 0x7f, 0xff, 0xfe]),
      Buffer.from(`/${"x".repeat(3_000)}`),
      Buffer.from("/%22%5c%00"),
    ];
    const before = (await lines()).length;
    for (const path of hostile) {
      const socket = await openSocket(port);
      await rawRequest(socket, request(path)).catch(() => "");
      socket.destroy();
    }
    // A request HAProxy refuses (400) is logged too.
    await eventually("a line per request", async () => (await lines()).length >= before + hostile.length, 5_000);
    const written = (await lines()).slice(before);
    expect(written.map((line) => line.path)).toContainEqual('/quote"and\\backslash');
    expect(written.some((line) => line.path.length === 3_001)).toBe(true);
  });

  test("lines keep coming from the old worker across a reload", async () => {
    const socket = await openSocket(port);
    expect(await rawRequest(socket, request("/before-reload"))).toBe("HTTP/1.1 200 OK");
    const status = async () => ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { haproxy: { reloads: number } }).haproxy.reloads;
    const reloads = await status();
    await sim.deployApp({ id: "/other", instances: 1 });
    await eventually("the reload", async () => (await status()) > reloads, 10_000);
    // The same keep-alive connection is still the old worker's.
    expect(await rawRequest(socket, request("/old-worker"))).toBe("HTTP/1.1 200 OK");
    socket.destroy();
    const fresh = await openSocket(port);
    expect(await rawRequest(fresh, request("/new-worker"))).toBe("HTTP/1.1 200 OK");
    fresh.destroy();
    await eventually("all three lines", async () => {
      const paths = new Set((await lines()).map((line) => line.path));
      return ["/before-reload", "/old-worker", "/new-worker"].every((path) => paths.has(path));
    }, 5_000);
  });
});

describe("text access logs on stdout, and none when off", () => {
  let sim: MarathonSim;
  let text: RunningAppliance;
  let off: RunningAppliance;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/shop", instances: 1 });
    [text, off] = await Promise.all([
      startAppliance({ marathonUrl: sim.url, env: { HAPROXY_ACCESS_LOG: "text" } }),
      startAppliance({ marathonUrl: sim.url, env: { HAPROXY_ACCESS_LOG: "off" } }),
    ]);
    await Promise.all([text.waitReady(), off.waitReady()]);
  });

  afterAll(async () => {
    await text?.stop();
    await off?.stop();
    await sim?.stop();
  });

  test("text: HAProxy's httplog line for the request", async () => {
    expect((await fetch(`${text.http}/shop/text-line`)).status).toBe(200);
    await eventually("the httplog line", async () => /http-in .*shop-cluster\/\S+ .* 200 .*"GET \/shop\/text-line HTTP\/1\.1"/.test(text.logs()), 5_000);
  });

  test("off: nothing is logged for requests", async () => {
    expect((await fetch(`${off.http}/shop/no-line`)).status).toBe(200);
    // The text appliance logged its request within this test file's other test; give this one as long.
    await eventually("the text appliance's line for a second request", async () => {
      await fetch(`${text.http}/shop/second`);
      return text.logs().includes("/shop/second");
    }, 5_000);
    expect(off.logs()).not.toContain("/shop/no-line");
  });
});
