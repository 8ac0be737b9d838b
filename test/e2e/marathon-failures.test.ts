import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/** Issue 3: whatever Marathon does, the routes stay right, and never empty by accident. */
describe("the appliance when Marathon misbehaves", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 200 });
    await sim.deployApp({ id: "/web", instances: 2, healthChecks: [{ protocol: "HTTP", path: "/health", portIndex: 0 }] });
    bamboo = await startAppliance({ marathonUrl: sim.url, env: { MARATHON_STREAM_TIMEOUT: "1s", MARATHON_RESYNC_INTERVAL: "1s" } });
    await bamboo.waitReady();
  });

  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
  });

  const live = () => sim.tasks("/web").filter((t) => t.state === "TASK_RUNNING").map((t) => t.id).sort();
  const reached = async () => [...(await spread(`${bamboo.http}/web`, live().length * 3 + 2)).keys()].sort();
  const routesLive = async () => JSON.stringify(await reached()) === JSON.stringify(live());
  const status = async () => (await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { marathon: { lastError: string | null; sync: { lastError: string | null } } };

  test("502 'no leader' during an election keeps every route", async () => {
    await eventually("routed", routesLive);
    sim.failAll(502);
    await eventually("the failure noticed", async () => (await status()).marathon.sync.lastError !== null, 10_000);
    expect(await routesLive()).toBe(true);
    sim.failAll(null);
    await eventually("healed", async () => (await status()).marathon.sync.lastError === null, 10_000);
    expect(await routesLive()).toBe(true);
  });

  test("an answer without health results (after a leader failover) keeps every route", async () => {
    sim.hideHealthResults(true);
    sim.emit("deployment_success", { id: "failover" });
    // The periodic resync (1 s) reads the answer without health results at least once.
    const before = ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { marathon: { sync: { runs: number } } }).marathon.sync.runs;
    await eventually("a resync ran", async () => ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { marathon: { sync: { runs: number } } }).marathon.sync.runs > before + 1, 10_000);
    expect(await routesLive()).toBe(true);
    sim.hideHealthResults(false);
  });

  test("a dropped stream is reopened and changes made meanwhile are routed", async () => {
    sim.dropStreams();
    await sim.scale("/web", 3);
    await eventually("the new task routed", routesLive, 10_000);
  });

  test("a stalled stream is noticed and reopened", async () => {
    const watcher = async () => ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { marathon: { reconnects: number; streamConnected: boolean } }).marathon;
    // The test before dropped the stream: its reopening must not be taken for this one's.
    await eventually("the stream open", async () => (await watcher()).streamConnected, 15_000);
    const before = (await watcher()).reconnects;
    sim.stallStreams();
    await eventually("the silent stream replaced", async () => {
      const now = await watcher();
      return now.reconnects > before && now.streamConnected;
    }, 15_000);
    await sim.scale("/web", 2);
    await eventually("routed after the stall", routesLive, 15_000);
  });

  test("a storm of 1,000 events costs a handful of Marathon requests", async () => {
    await eventually("settled", routesLive);
    const before = sim.requests("/v2/apps") + sim.requests("/v2/apps/web");
    const received = async () => ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { marathon: { eventsReceived: number } }).marathon.eventsReceived;
    const [taskId] = live();
    const emitOne = () => sim.emit("status_update_event", { appId: "/web", taskId, taskStatus: "TASK_RUNNING", host: "127.0.0.1", ports: [1] });
    // Events sent down a stream that is being replaced are lost: the storm starts once one arrives.
    const receivedAtStart = await received();
    await eventually("the stream delivering events", async () => {
      emitOne();
      return (await received()) > receivedAtStart;
    }, 15_000);
    const receivedBefore = await received();
    for (let i = 0; i < 1000; i++) emitOne();
    await eventually("events consumed", async () => (await received()) >= receivedBefore + 1000, 10_000);
    const after = sim.requests("/v2/apps") + sim.requests("/v2/apps/web");
    // A few per coalescing window plus the periodic 1 s resyncs, never one per event.
    expect(after - before).toBeLessThan(50);
    expect(await routesLive()).toBe(true);
  });
});

describe("Bamboo's callback mode", () => {
  test("registers BAMBOO_ENDPOINT's callback and routes from the events Marathon posts", async () => {
    const sim = await MarathonSim.start();
    await sim.deployApp({ id: "/cb", instances: 1 });
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { MARATHON_USE_EVENT_STREAM: "false", MARATHON_RESYNC_INTERVAL: "1h" } });
    try {
      await bamboo.waitReady();
      await eventually("subscribed", async () => sim.subscribers.includes(`${bamboo.api}/api/marathon/event_callback`), 10_000);
      await sim.scale("/cb", 2);
      const tasks = () => sim.tasks("/cb").map((t) => t.id).sort();
      await eventually("routed from callback events", async () => JSON.stringify([...(await spread(`${bamboo.http}/cb`, 8)).keys()].sort()) === JSON.stringify(tasks()), 10_000);
      await bamboo.stop();
    } finally {
      await sim.stop();
    }
  });
});
