import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

interface HAProxyStatus {
  masterPid: number;
  workerPid: number;
  reloads: number;
  runtimeOperations: number;
  restarts: number;
  reloadReasons: Record<string, number>;
}

/** Issue 5: task churn goes through the runtime API; only structure reloads. */
describe("zero-reload updates", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    // 4 instances get 8 slots (haproxy/slots.ts): room for every size the churn below uses.
    await sim.deployApp({ id: "/churn", instances: 4, healthChecks: [{ protocol: "HTTP", path: "/health", portIndex: 0 }] });
    bamboo = await startAppliance({ marathonUrl: sim.url });
    await bamboo.waitReady();
  });

  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
  });

  const haproxy = async () => ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { haproxy: HAProxyStatus }).haproxy;
  const live = (appId: string) => sim.tasks(appId).filter((t) => t.state === "TASK_RUNNING").map((t) => t.id).sort();
  /** Enough requests that leastconn's rotation reaches every server at least twice. */
  const reached = async (appId: string) => [...(await spread(`${bamboo.http}${appId}`, live(appId).length * 3 + 2)).keys()].sort();
  const routesExactly = (appId: string) => async () => JSON.stringify(await reached(appId)) === JSON.stringify(live(appId));

  test("50 scale events are applied by the same HAProxy worker, routing to exactly the live tasks", async () => {
    await eventually("initial routing", routesExactly("/churn"));
    const before = await haproxy();
    // Sizes within the app's first slots, in an order that both adds and removes tasks.
    const sizes = Array.from({ length: 50 }, (_, i) => 1 + ((i * 5) % 7));
    for (const size of sizes) {
      await sim.scale("/churn", size);
      await eventually(`routing to ${size} tasks`, routesExactly("/churn"));
    }
    const after = await haproxy();
    expect(after.workerPid).toBe(before.workerPid);
    expect(after.masterPid).toBe(before.masterPid);
    expect(after.reloads).toBe(before.reloads);
    expect(after.runtimeOperations).toBeGreaterThan(before.runtimeOperations);
    // A task the last scale-down killed may still be applied between two reads: compare them once they agree in time.
    await eventually("/metrics to count the runtime operations /api/status counts", async () => {
      const metrics = await (await fetch(`${bamboo.api}/metrics`, { headers: bamboo.reader })).text();
      return metrics.includes(`bamboo_haproxy_runtime_operations_total ${(await haproxy()).runtimeOperations}\n`);
    });
  });

  test("a killed task and a health flip are runtime operations too", async () => {
    await sim.scale("/churn", 3);
    await eventually("three tasks", routesExactly("/churn"));
    const before = await haproxy();
    await sim.killTask(live("/churn")[0]!);
    await eventually("killed task gone", routesExactly("/churn"));
    const sick = live("/churn")[0]!;
    sim.setHealth(sick, false);
    await eventually("unhealthy task unrouted", async () => !(await reached("/churn")).includes(sick));
    sim.setHealth(sick, true);
    await eventually("healed task routed", routesExactly("/churn"));
    const after = await haproxy();
    expect(after.reloads).toBe(before.reloads);
    expect(after.workerPid).toBe(before.workerPid);
  });

  test("a new app reloads exactly once", async () => {
    const before = await haproxy();
    await sim.deployApp({ id: "/fresh", instances: 2 });
    await eventually("new app routed", routesExactly("/fresh"));
    // HAProxy routes as soon as the new worker runs; the reload is counted once it is confirmed.
    await eventually("the reload confirmed", async () => (await haproxy()).reloads > before.reloads);
    const after = await haproxy();
    expect(after.reloads).toBe(before.reloads + 1);
    expect(after.workerPid).not.toBe(before.workerPid);
  });

  test("outgrowing the slots reloads once; the next scale-ups fit the new headroom", async () => {
    // 2 instances got 4 slots; a fifth task outgrows them and 5 instances get 10.
    await sim.scale("/fresh", 4);
    await eventually("four tasks", routesExactly("/fresh"));
    const before = await haproxy();
    await sim.scale("/fresh", 5);
    await eventually("five tasks", routesExactly("/fresh"));
    await eventually("the reload confirmed", async () => (await haproxy()).reloads > before.reloads);
    const grown = await haproxy();
    expect(grown.reloads).toBe(before.reloads + 1);
    expect(grown.reloadReasons["slots outgrown"]).toBeGreaterThanOrEqual(1);
    for (const size of [6, 8, 10]) {
      await sim.scale("/fresh", size);
      await eventually(`${size} tasks`, routesExactly("/fresh"));
    }
    expect((await haproxy()).reloads).toBe(grown.reloads);
  });

  test("HAProxy killed comes back with exactly the current routes", async () => {
    await sim.scale("/churn", 5);
    await eventually("five tasks at run time", routesExactly("/churn"));
    const before = await haproxy();
    process.kill(before.masterPid, "SIGKILL");
    await eventually("haproxy restarted", async () => {
      const now = await haproxy();
      return now.restarts > before.restarts && now.masterPid !== before.masterPid && now.workerPid !== null;
    }, 15_000);
    await eventually("routes intact after the restart", routesExactly("/churn"));
    await eventually("routes intact for the other app", routesExactly("/fresh"));
  });
});
