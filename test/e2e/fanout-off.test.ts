import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper.ts";

/** Issue 21: BAMBOO_MARATHON_FANOUT=false keeps the old way with ZooKeeper: each appliance watches Marathon itself. */

let zk: ZooKeeperServer;
let sim: MarathonSim;
const appliances: RunningAppliance[] = [];

beforeAll(async () => {
  zk = await startZooKeeper();
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  await sim.deployApp({ id: "/web", instances: 1 });
  const env = { BAMBOO_ZK_HOST: zk.connectionString, BAMBOO_ZK_PATH: "/fanout-off/state", BAMBOO_MARATHON_FANOUT: "false" };
  for (let i = 0; i < 2; i++) {
    const appliance = await startAppliance({ marathonUrl: sim.url, env });
    appliances.push(appliance);
    await appliance.waitReady();
  }
});

afterAll(async () => {
  for (const appliance of appliances) await appliance.stop();
  await sim?.stop();
  await zk?.stop();
});

test("with the fanout off, every appliance has its own event stream and no cluster, and routes what it fetched itself", async () => {
  await eventually("both event streams open", async () => sim.openStreams === 2, 10_000);
  for (const appliance of appliances) {
    const status = (await (await fetch(`${appliance.api}/api/status`, { headers: appliance.reader })).json()) as { cluster: unknown; marathon: { streamConnected: boolean; sync: { marathonRequests: number } } };
    expect(status.cluster).toBeNull();
    expect(status.marathon.streamConnected).toBe(true);
    expect(status.marathon.sync.marathonRequests).toBeGreaterThan(0);
    const metrics = await (await fetch(`${appliance.api}/metrics`, { headers: appliance.reader })).text();
    expect(metrics).not.toContain("bamboo_fanout_");
  }
  await sim.scale("/web", 2);
  const wanted = () => JSON.stringify(sim.tasks("/web").map((task) => task.id).sort());
  for (const appliance of appliances) {
    await eventually("the new task routed", async () => JSON.stringify([...(await spread(`${appliance.http}/web`, 8)).keys()].sort()) === wanted(), 10_000);
  }
});
