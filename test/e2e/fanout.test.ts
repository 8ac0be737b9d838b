import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper.ts";

/**
 * Issue 21: ten appliances on one ZooKeeper elect one leader, which alone watches Marathon;
 * the others route from the apps it publishes. Killed (SIGKILL), the leader is replaced
 * within ZooKeeper's session timeout, and scaling routes on every appliance still. After
 * ZooKeeper restarts, everyone recovers.
 */

interface ClusterStatus {
  cluster: { role: "leader" | "follower" | "candidate"; name: string; leader: { name: string } | null; version: number | null; connected: boolean } | null;
  marathon: { sync: { marathonRequests: number } };
  problems: { id: string; message: string }[];
}

const APPLIANCES = 10;
/** BAMBOO_ZK_SESSION_TIMEOUT here (the test server's 200 ms ticks allow 4 s at most): a dead leader's node goes when its session expires. */
const SESSION_TIMEOUT_MS = 4_000;

let zk: ZooKeeperServer;
let sim: MarathonSim;
let appliances: RunningAppliance[] = [];

beforeAll(async () => {
  zk = await startZooKeeper();
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  await sim.deployApp({ id: "/web", instances: 2 });
  await sim.deployApp({ id: "/api", instances: 1 });
  const env = { BAMBOO_ZK_HOST: zk.connectionString, BAMBOO_ZK_PATH: "/fanout/state", BAMBOO_ZK_SESSION_TIMEOUT: `${SESSION_TIMEOUT_MS}ms` };
  // One after another: ten HAProxy starts at once would only make the machine wait.
  for (let i = 0; i < APPLIANCES; i++) {
    const appliance = await startAppliance({ marathonUrl: sim.url, env });
    appliances.push(appliance);
    await appliance.waitReady(30_000);
  }
}, 180_000);

afterAll(async () => {
  for (const appliance of appliances) await appliance.stop().catch(() => undefined);
  await sim?.stop();
  await zk?.stop();
});

const statusOf = async (appliance: RunningAppliance): Promise<ClusterStatus> => (await (await fetch(`${appliance.api}/api/status`, { headers: appliance.reader })).json()) as ClusterStatus;
const statuses = () => Promise.all(appliances.map(statusOf));
const running = (id: string) => sim.tasks(id).filter((task) => task.state === "TASK_RUNNING").map((task) => task.id).sort();
/** Whether every appliance's HAProxy sends /web's requests to exactly /web's running tasks. */
const everyoneRoutes = async () => {
  const wanted = JSON.stringify(running("/web"));
  for (const appliance of appliances) {
    const seen = [...(await spread(`${appliance.http}/web`, running("/web").length * 4)).keys()].sort();
    if (JSON.stringify(seen) !== wanted) return false;
  }
  return true;
};
const leaders = async () => (await statuses()).filter((status) => status.cluster?.role === "leader");
/** /v2 requests other than event streams: what the appliances asked of Marathon. */
const restRequests = () => sim.requestLog.filter((request) => request.path !== "/v2/events").length;

describe("one Marathon watcher for ten appliances", () => {
  test("one leads; Marathon sees one event stream, and a scale costs it one appliance's fetches", async () => {
    const all = await statuses();
    expect(all.filter((status) => status.cluster?.role === "leader")).toHaveLength(1);
    expect(all.filter((status) => status.cluster?.role === "follower")).toHaveLength(APPLIANCES - 1);
    const leader = all.find((status) => status.cluster?.role === "leader")!.cluster!.name;
    for (const status of all) expect(status.cluster!.leader?.name).toBe(leader);
    expect(sim.openStreams).toBe(1);
    // Followers never asked Marathon anything.
    expect(all.filter((status) => status.marathon.sync.marathonRequests > 0)).toHaveLength(1);

    const before = restRequests();
    await sim.scale("/web", 3);
    await eventually("every appliance to route the new task", everyoneRoutes, 15_000);
    // The leader fetches the app the events name (a deployment's events may name it twice); nobody else asks.
    expect(restRequests() - before).toBeLessThanOrEqual(3);
    expect(sim.openStreams).toBe(1);
    for (const status of await statuses()) expect(status.problems).toEqual([]);
  });

  test("the leader killed (SIGKILL): another leads within the session timeout, and scaling routes on all the others", async () => {
    const statusesBefore = await statuses();
    const index = statusesBefore.findIndex((status) => status.cluster?.role === "leader");
    const [dead] = appliances.splice(index, 1);
    dead!.process.kill("SIGKILL");
    await dead!.process.exited;
    const killedAt = performance.now();
    await eventually("a new leader", async () => (await leaders()).length === 1, SESSION_TIMEOUT_MS + 10_000);
    // The session timeout, and the moments the election and a status read take.
    expect(performance.now() - killedAt).toBeLessThan(SESSION_TIMEOUT_MS + 3_000);
    await eventually("one event stream again (the dead leader's is gone)", async () => sim.openStreams === 1, 10_000);
    await sim.scale("/web", 1);
    await eventually("every remaining appliance to route the scaled app", everyoneRoutes, 15_000);
    const now = await statuses();
    const leader = now.find((status) => status.cluster?.role === "leader")!.cluster!.name;
    await eventually("every follower to name the new leader", async () => (await statuses()).every((status) => status.cluster!.leader?.name === leader), 10_000);
  }, 60_000);

  test("ZooKeeper restarted: every appliance keeps routing meanwhile, then reconnects, and one leads", async () => {
    await zk.kill();
    // Cut off, they keep the apps they had and say so.
    await eventually("the followers to say they are cut off", async () => (await statuses()).filter((status) => status.problems.some((problem) => problem.message.startsWith("cut off from ZooKeeper"))).length >= APPLIANCES - 2, 20_000);
    expect(await everyoneRoutes()).toBe(true);
    await zk.restart();
    await eventually("everyone connected again, one leader", async () => {
      const all = await statuses();
      return all.every((status) => status.cluster!.connected) && all.filter((status) => status.cluster!.role === "leader").length === 1;
    }, 40_000);
    await sim.scale("/web", 2);
    await eventually("every appliance to route the scaled app after ZooKeeper's return", everyoneRoutes, 20_000);
    await eventually("no problem left", async () => (await statuses()).every((status) => status.problems.length === 0), 15_000);
    expect(sim.openStreams).toBe(1);
  }, 120_000);
});
