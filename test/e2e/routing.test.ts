import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MarathonSim } from "../support/marathon-sim.ts";
import { basicAuth, eventually, spread, startAppliance, TEST_STATS_PASSWORD, type RunningAppliance } from "../support/appliance.ts";

/** Issue 2's end-to-end scenario with the real dist/bamboo, the real HAProxy and real task servers. */
describe("an app routed through the appliance", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;
  const ghost = { host: "ghost.local" };

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/ghost", instances: 2, healthChecks: [{ protocol: "HTTP", path: "/health", portIndex: 0 }] });
    bamboo = await startAppliance({ marathonUrl: sim.url });
    await bamboo.waitReady();
  });

  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
  });

  const liveTaskIds = () => sim.tasks("/ghost").filter((t) => t.state === "TASK_RUNNING").map((t) => t.id).sort();
  const reached = async (count = 40) => [...(await spread(`${bamboo.http}/`, count, ghost)).keys()].sort();

  test("PUT of a host rule is stored and answered in Bamboo's shape", async () => {
    const response = await fetch(`${bamboo.api}/api/services//ghost`, {
      method: "PUT",
      headers: bamboo.writer,
      body: JSON.stringify({ acl: "hdr(host) -i ghost.local" }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ Id: "/ghost", Acl: "hdr(host) -i ghost.local", Config: { Acl: "hdr(host) -i ghost.local" } });
    expect(await (await fetch(`${bamboo.api}/api/services`, { headers: bamboo.reader })).json()).toEqual({
      "/ghost": { Id: "/ghost", Acl: "hdr(host) -i ghost.local", Config: { Acl: "hdr(host) -i ghost.local" } },
    });
  });

  test("requests for the host reach both tasks", async () => {
    await eventually("both tasks routed by host", async () => JSON.stringify(await reached()) === JSON.stringify(liveTaskIds()));
  });

  test("a scaled-up task is reached", async () => {
    await sim.scale("/ghost", 3);
    expect(liveTaskIds()).toHaveLength(3);
    await eventually("three tasks routed", async () => JSON.stringify(await reached(60)) === JSON.stringify(liveTaskIds()));
  });

  test("a killed task gets no more requests", async () => {
    const victim = liveTaskIds()[0]!;
    await sim.killTask(victim);
    await eventually("killed task unrouted", async () => !(await reached()).includes(victim));
    expect(await reached(60)).toEqual(liveTaskIds());
  });

  test("an unhealthy task gets no traffic", async () => {
    const sick = liveTaskIds()[0]!;
    sim.setHealth(sick, false);
    await eventually("unhealthy task unrouted", async () => !(await reached()).includes(sick));
    sim.setHealth(sick, true);
    await eventually("healed task routed again", async () => (await reached(60)).includes(sick));
  });

  test("after the service is deleted the default path rule applies", async () => {
    const response = await fetch(`${bamboo.api}/api/services//ghost`, { method: "DELETE", headers: bamboo.writer });
    expect(response.status).toBe(200);
    await eventually("host rule gone", async () => (await spread(`${bamboo.http}/`, 1, ghost)).has("HTTP 503"));
    const byPath = await spread(`${bamboo.http}/ghost/anything`, 30);
    expect([...byPath.keys()].sort()).toEqual(liveTaskIds());
  });

  test("an ACL that is not understood gets 400 naming the token, and is not stored", async () => {
    const response = await fetch(`${bamboo.api}/api/services`, {
      method: "POST",
      headers: bamboo.writer,
      body: JSON.stringify({ id: "/ghost", acl: "hdr(host) -q ghost.local" }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string };
    expect(body.error).toContain("/ghost: the rule is not accepted: unknown flag '-q'");
    expect(await (await fetch(`${bamboo.api}/api/services`, { headers: bamboo.reader })).json()).toEqual({});
  });

  test("an ACL with a newline cannot inject configuration", async () => {
    const response = await fetch(`${bamboo.api}/api/services`, {
      method: "POST",
      headers: bamboo.writer,
      body: JSON.stringify({ id: "/ghost", acl: "hdr(host) -i ghost.local\n    stats enable" }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain("control character");
  });

  test("/healthz says the process is alive; /status says it is ready", async () => {
    expect(await (await fetch(`${bamboo.api}/healthz`)).text()).toBe("alive");
    expect(await (await fetch(`${bamboo.api}/status`)).text()).toBe("OK");
  });

  test("the template data is served at /api/state", async () => {
    const state = (await (await fetch(`${bamboo.api}/api/state`, { headers: bamboo.writer })).json()) as { Apps: { Id: string; Tasks: unknown[] }[] };
    expect(state.Apps.map((a) => a.Id)).toEqual(["/ghost"]);
    expect(state.Apps[0]!.Tasks).toHaveLength(liveTaskIds().length);
  });

  test("HAProxy's stats page is proxied behind its own credentials", async () => {
    expect((await fetch(`${bamboo.api}/haproxy_stats`)).status).toBe(401);
    expect((await fetch(`${bamboo.api}/haproxy_stats`, { headers: basicAuth("admin", "admin") })).status).toBe(401);
    const response = await fetch(`${bamboo.api}/haproxy_stats`, { headers: basicAuth("stats", TEST_STATS_PASSWORD) });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Statistics Report");
  });
});

describe("write calls", () => {
  test("need basic auth", async () => {
    const sim = await MarathonSim.start();
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_API_PASSWORD: "s3cret" } });
    try {
      await bamboo.waitReady();
      const body = JSON.stringify({ id: "/a", acl: "hdr(host) -i a.local" });
      const json = { "content-type": "application/json" };
      const anonymous = await fetch(`${bamboo.api}/api/services`, { method: "POST", body, headers: json });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toContain("Basic");
      const wrong = await fetch(`${bamboo.api}/api/services`, { method: "POST", body, headers: { ...json, authorization: `Basic ${btoa("admin:nope")}` } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${bamboo.api}/api/services`, { method: "POST", body, headers: { ...json, authorization: `Basic ${btoa("admin:s3cret")}` } });
      expect(right.status).toBe(200);
      expect((await fetch(`${bamboo.api}/api/services`, { headers: bamboo.reader })).status).toBe(200);
    } finally {
      await bamboo.stop();
      await sim.stop();
    }
  });
});
