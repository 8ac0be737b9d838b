import { expect, test } from "bun:test";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

const haproxyAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function masterPid(bamboo: RunningAppliance): Promise<number> {
  return ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { haproxy: { masterPid: number } }).haproxy.masterPid;
}

test("SIGTERM: /status turns 503 at once, traffic flows through the drain period, then HAProxy stops and bamboo exits 0", async () => {
  const sim = await MarathonSim.start();
  await sim.deployApp({ id: "/web", instances: 1 });
  const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_DRAIN_PERIOD: "2s" } });
  try {
    await bamboo.waitReady();
    const pid = await masterPid(bamboo);
    bamboo.process.kill("SIGTERM");
    await eventually("status 503", async () => (await fetch(`${bamboo.api}/status`)).status === 503);
    expect(await (await fetch(`${bamboo.api}/status`)).text()).toContain("shutting down");
    // Load balancers in front still send a little while: it is still served.
    expect((await spread(`${bamboo.http}/web`, 3)).get(sim.tasks("/web")[0]!.id)).toBe(3);
    expect(await bamboo.process.exited).toBe(0);
    expect(haproxyAlive(pid)).toBe(false);
    expect(bamboo.logs()).toContain("bamboo stopped");
  } finally {
    await bamboo.stop();
    await sim.stop();
  }
});

test("a second signal hurries the stop past the drain period", async () => {
  const sim = await MarathonSim.start();
  const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_DRAIN_PERIOD: "1h" } });
  try {
    await bamboo.waitReady();
    const pid = await masterPid(bamboo);
    bamboo.process.kill("SIGTERM");
    await eventually("status 503", async () => (await fetch(`${bamboo.api}/status`)).status === 503);
    bamboo.process.kill("SIGINT");
    expect(await bamboo.process.exited).toBe(0);
    expect(haproxyAlive(pid)).toBe(false);
    expect(bamboo.logs()).toContain("second signal: stopping now");
  } finally {
    await bamboo.stop();
    await sim.stop();
  }
});

test("while Marathon is unreachable /status is 503 with the reason, and /healthz stays 200", async () => {
  const bamboo = await startAppliance({ marathonUrl: "http://127.0.0.1:9" });
  try {
    await eventually("the API answers", async () => (await fetch(`${bamboo.api}/healthz`).then((r) => r.status, () => 0)) === 200);
    const status = await fetch(`${bamboo.api}/status`);
    expect(status.status).toBe(503);
    expect(await status.text()).toContain("waiting for the first Marathon sync");
  } finally {
    await bamboo.stop();
  }
});
