/** The simulator itself: it must answer as Marathon does, or the other tests prove nothing. */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SseParser } from "../../src/marathon/events.ts";
import { normaliseAppList } from "../../src/marathon/normalise.ts";
import { MarathonSim } from "../support/marathon-sim.ts";
import { waitFor } from "../support/marathon-wait.ts";

const sims: MarathonSim[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

async function sim(): Promise<MarathonSim> {
  const s = await MarathonSim.start({ heartbeatMs: 0 });
  sims.push(s);
  return s;
}

const post = (url: string, body: unknown, method = "POST") => fetch(url, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

describe("REST", () => {
  test("POST /v2/apps creates an app with running tasks; a second POST is a conflict", async () => {
    const s = await sim();
    const created = await post(`${s.url}/v2/apps`, { id: "grp/web", instances: 2, networks: [{ mode: "container/bridge" }] });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { id: string }).id).toBe("/grp/web");
    expect((await post(`${s.url}/v2/apps`, { id: "/grp/web" })).status).toBe(409);
    const list = await (await fetch(`${s.url}/v2/apps?embed=apps.tasks`)).json();
    const { apps, problems } = normaliseAppList(list, Date.now());
    expect(problems).toEqual([]);
    expect(apps[0]?.tasks).toHaveLength(2);
  });

  test.each(["/Upper", "/under_score", "/-dash", "/a/../..", "/"])("the id %p is refused with 422 as Marathon does", async (id) => {
    const s = await sim();
    expect((await post(`${s.url}/v2/apps`, { id, instances: 1 })).status).toBe(422);
  });

  test("PUT scales, DELETE removes, and a missing app is a JSON 404", async () => {
    const s = await sim();
    await s.deployApp({ id: "/a", instances: 1 });
    expect((await post(`${s.url}/v2/apps/a`, { instances: 3 }, "PUT")).status).toBe(200);
    expect(s.tasks("/a")).toHaveLength(3);
    expect((await fetch(`${s.url}/v2/apps/a/tasks`).then((r) => r.json()) as { tasks: unknown[] }).tasks).toHaveLength(3);
    expect((await fetch(`${s.url}/v2/tasks`).then((r) => r.json()) as { tasks: unknown[] }).tasks).toHaveLength(3);
    expect((await fetch(`${s.url}/v2/apps/a`, { method: "DELETE" })).status).toBe(200);
    const missing = await fetch(`${s.url}/v2/apps/a`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "App '/a' does not exist" });
  });

  test("leader and info name this instance", async () => {
    const s = await sim();
    expect(await (await fetch(`${s.url}/v2/leader`)).json()).toEqual({ leader: `127.0.0.1:${s.port}` });
    const info = (await (await fetch(`${s.url}/v2/info`)).json()) as { leader: string; elected: boolean };
    expect(info).toMatchObject({ leader: `127.0.0.1:${s.port}`, elected: true });
  });

  test("a task's health path follows setHealth, and killTask stops its server", async () => {
    const s = await sim();
    const [task] = await s.deployApp({ id: "/h", instances: 1, healthChecks: [{ path: "/hc" }] });
    const base = `http://${task!.listenIp}:${task!.port}`;
    expect((await fetch(`${base}/hc`)).status).toBe(200);
    s.setHealth(task!.id, false);
    expect((await fetch(`${base}/hc`)).status).toBe(500);
    await s.killTask(task!.id);
    await expect(fetch(`${base}/`)).rejects.toThrow();
    expect(s.tasks("/h")).toEqual([]);
  });

  test("failNext answers 502 for the next requests only, and requests are counted per path", async () => {
    const s = await sim();
    s.failNext(2);
    expect((await fetch(`${s.url}/v2/apps`)).status).toBe(502);
    expect((await fetch(`${s.url}/v2/apps`)).status).toBe(502);
    expect((await fetch(`${s.url}/v2/apps`)).status).toBe(200);
    expect(s.requests("/v2/apps")).toBe(3);
  });
});

describe("events", () => {
  test("the stream needs Accept: text/event-stream, starts with event_stream_attached and honours event_type filters", async () => {
    const s = await sim();
    expect((await fetch(`${s.url}/v2/events`)).status).toBe(405);
    const response = await fetch(`${s.url}/v2/events?event_type=event_stream_attached&event_type=app_terminated_event`, { headers: { Accept: "text/event-stream" } });
    const reader = response.body!.getReader();
    const parser = new SseParser(1024 * 1024);
    const seen: string[] = [];
    const pump = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        seen.push(...parser.feed(value).map((e) => e.eventType));
      }
    })();
    await waitFor("attached", () => seen.length === 1);
    s.emit("status_update_event", { appId: "/filtered-out" });
    s.emit("app_terminated_event", { appId: "/wanted" });
    await waitFor("wanted event", () => seen.length === 2);
    expect(seen).toEqual(["event_stream_attached", "app_terminated_event"]);
    s.dropStreams();
    await pump;
  });

  test("event subscriptions receive events as POSTs until removed", async () => {
    const s = await sim();
    const received: string[] = [];
    const receiver = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: async (r) => (received.push(((await r.json()) as { eventType: string }).eventType), new Response("ok")) });
    const callbackUrl = `http://127.0.0.1:${receiver.port}/cb`;
    try {
      expect((await fetch(`${s.url}/v2/eventSubscriptions?callbackUrl=${encodeURIComponent(callbackUrl)}`, { method: "POST" })).status).toBe(200);
      expect(await (await fetch(`${s.url}/v2/eventSubscriptions`)).json()).toEqual({ callbackUrls: [callbackUrl] });
      s.emit("app_terminated_event", { appId: "/x" });
      await waitFor("callback", () => received.includes("app_terminated_event"));
      await fetch(`${s.url}/v2/eventSubscriptions?callbackUrl=${encodeURIComponent(callbackUrl)}`, { method: "DELETE" });
      expect(s.subscribers).toEqual([]);
    } finally {
      receiver.stop(true);
    }
  });
});

test("runs as a program with sample apps and stops cleanly on SIGTERM", async () => {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "..", "support", "marathon-sim.ts"), "--port", "0", "--sample"], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!out.includes("/shop/web")) {
    const { done, value } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  expect(url).toBeDefined();
  const { apps } = normaliseAppList(await (await fetch(`${url}/v2/apps?embed=apps.tasks`)).json(), Date.now());
  expect(apps.map((a) => [a.id, a.tasks.length])).toEqual([["/demo/api", 3], ["/demo/hello", 2], ["/shop/web", 1]]);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
});
