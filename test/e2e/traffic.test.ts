import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import parse from "parse-prometheus-text-format";
import type { AppTraffic, TrafficHistory, TrafficSample } from "../../src/http/ui/api-types.ts";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/**
 * Issue 19 items 3 and 4, server side: HAProxy's counters sampled into per-app rates, the
 * per-server split of the busiest apps, the stream's traffic events, and per-app counters
 * at /metrics that count every request exactly once, across a reload too.
 */

let sim: MarathonSim;
let bamboo: RunningAppliance;
let shopTasks: string[];

beforeAll(async () => {
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  shopTasks = (await sim.deployApp({ id: "/shop", instances: 2 })).map((task) => task.id);
  await sim.deployApp({ id: "/gone", instances: 0 });
  bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_TRAFFIC_INTERVAL: "200ms" } });
  await bamboo.waitReady();
  // Counting starts with the first reading after HAProxy runs; a recorded sample proves it was taken.
  await eventually("a first traffic sample", async () => (await status()).traffic.lastSampleAt !== null, 10_000);
});

afterAll(async () => {
  await bamboo?.stop();
  await sim?.stop();
});

async function status(): Promise<{ traffic: { state: string; lastSampleAt: number | null }; haproxy: { reloads: number } }> {
  return (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json() as never;
}

async function metric(name: string, app: string): Promise<number> {
  const text = await (await fetch(`${bamboo.api}/metrics`, { headers: bamboo.reader })).text();
  const family = parse(text).find((entry) => entry.name === name);
  return Number(family?.metrics.find((sample) => sample.labels?.app === app)?.value ?? 0);
}

async function appTraffic(id: string): Promise<AppTraffic> {
  const answer = await fetch(`${bamboo.api}/api/traffic/apps/${id}`, { headers: bamboo.reader });
  expect(answer.status).toBe(200);
  return (await answer.json()) as AppTraffic;
}

/** Requests the window's points account for: each rate times the time it covers. */
function counted(traffic: AppTraffic): number {
  let sum = 0;
  for (let i = 1; i < traffic.times.length; i++) sum += traffic.points[i]![0] * ((traffic.times[i]! - traffic.times[i - 1]!) / 1000);
  return sum;
}

describe("traffic", () => {
  test("every request is counted once per app, 5xx included, and the window accounts for them", async () => {
    await spread(`${bamboo.http}/shop`, 40);
    await spread(`${bamboo.http}/gone`, 10);
    await eventually("40 requests counted for /shop", async () => (await metric("bamboo_app_requests_total", "/shop")) === 40, 10_000);
    await eventually("10 errors counted for /gone", async () => (await metric("bamboo_app_responses_5xx_total", "/gone")) === 10, 10_000);
    expect(await metric("bamboo_app_responses_5xx_total", "/shop")).toBe(0);
    expect(await metric("bamboo_app_response_time_mean_seconds", "/shop")).toBeGreaterThanOrEqual(0);
    expect(counted(await appTraffic("/shop"))).toBeCloseTo(40, 0);
    expect(counted(await appTraffic("gone"))).toBeCloseTo(10, 0);
  });

  test("the busiest app is split by server, each named by its Marathon task", async () => {
    await eventually(
      "both tasks of /shop in the split",
      async () => {
        await spread(`${bamboo.http}/shop`, 10);
        const servers = (await appTraffic("/shop")).servers ?? [];
        const busy = servers.filter((server) => server.points.some((point) => point !== null && point[0] > 0));
        return busy.length === 2 && busy.every((server) => server.taskId !== null && shopTasks.includes(server.taskId));
      },
      15_000,
    );
    const quiet = await appTraffic("/gone");
    expect(quiet.servers === null || quiet.servers.every((server) => server.points.every((point) => point === null || point[0] === 0))).toBe(true);
  });

  test("the history names apps with traffic, and the stream opens with it and then sends samples", async () => {
    const history = (await (await fetch(`${bamboo.api}/api/traffic`, { headers: bamboo.reader })).json()) as TrafficHistory;
    expect(history.sampling).toEqual({ state: "ok" });
    expect(history.intervalMs).toBe(200);
    expect(Object.keys(history.apps).sort()).toEqual(["/gone", "/shop"]);
    expect(history.apps["/shop"]).toHaveLength(history.times.length);

    const controller = new AbortController();
    const stream = await fetch(`${bamboo.api}/api/events`, { headers: bamboo.reader, signal: controller.signal });
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const events = () => text.split("\n\n").filter((block) => block.includes("event: traffic"));
    const deadline = performance.now() + 10_000;
    let sent = 0;
    while (!events().some((block) => block.includes("event: traffic\n") && block.includes('"/shop"')) && performance.now() < deadline && sent < 500) {
      await spread(`${bamboo.http}/shop`, 5);
      sent += 5;
      text += decoder.decode((await reader.read()).value, { stream: true });
    }
    controller.abort();
    const opening = events().find((block) => block.startsWith("event: traffic-history"));
    expect(opening).toBeDefined();
    const sample = events().find((block) => block.startsWith("event: traffic\n") && block.includes('"/shop"'));
    const data = JSON.parse(sample!.split("\n").find((line) => line.startsWith("data: "))!.slice(6)) as TrafficSample;
    expect(data.apps["/shop"]![0]).toBeGreaterThan(0);
    expect(data.totals[0]).toBeGreaterThanOrEqual(data.apps["/shop"]![0]);
  });

  test("counts go on across a reload, which starts HAProxy's counters again at zero", async () => {
    const settled = await metric("bamboo_app_requests_total", "/shop");
    await eventually("the count to settle", async () => (await metric("bamboo_app_requests_total", "/shop")) === settled, 5_000);
    const before = (await status()).haproxy.reloads;
    await sim.deployApp({ id: "/new", instances: 1 });
    await eventually("the reload for the new app", async () => (await status()).haproxy.reloads > before, 10_000);
    await spread(`${bamboo.http}/shop`, 7);
    await eventually("7 more requests counted", async () => (await metric("bamboo_app_requests_total", "/shop")) === settled + 7, 10_000);
  });

  test("an unknown app is 404", async () => {
    const answer = await fetch(`${bamboo.api}/api/traffic/apps/nope`, { headers: bamboo.reader });
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as { error: string }).error).toContain("/nope");
  });
});
