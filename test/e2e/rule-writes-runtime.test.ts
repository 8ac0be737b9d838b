import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/** Issue 16 item 2: a rule write for an app that has a backend changes HAProxy's maps at run time. */
describe("rule writes without a reload", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/shop", instances: 1 });
    await sim.deployApp({ id: "/blog", instances: 1 });
    bamboo = await startAppliance({ marathonUrl: sim.url });
    await bamboo.waitReady();
  });

  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
  });

  const put = (id: string, acl: string) => fetch(`${bamboo.api}/api/services`, { method: "POST", headers: bamboo.writer, body: JSON.stringify({ id, acl }) });
  const haproxy = async () => ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { haproxy: { reloads: number; runtimeApplies: number } }).haproxy;
  const task = (id: string) => sim.tasks(id)[0]!.id;
  const routedTo = async (id: string, path: string, host = "elsewhere.example") => (await spread(`${bamboo.http}${path}`, 2, { host })).get(task(id)) === 2;
  const hostMap = () => readFile(join(bamboo.dataDir, "maps", "host.map"), "utf8");

  test("adding, changing and deleting a host rule route at once, with no reload, and the map file follows", async () => {
    await eventually("default rules routed", () => routedTo("/shop", "/shop"));
    const before = await haproxy();

    const added = await put("/shop", "hdr(host) -i shop.example.com");
    expect(added.status).toBe(200);
    // The answer says how HAProxy took the rule; it runs by the time the answer comes.
    expect(added.headers.get("x-bamboo-applied")).toBe("runtime");
    expect(await routedTo("/shop", "/", "SHOP.example.com")).toBe(true);
    // The map file is rewritten in the background, off the write's answer (haproxy/apply.ts).
    await eventually("the map file to follow", async () => (await hostMap()) === "shop.example.com ::shop-cluster\n");
    expect(await hostMap()).toBe("shop.example.com ::shop-cluster\n");

    expect((await put("/shop", "hdr(host) -i store.example.com")).status).toBe(200);
    await eventually("the changed host routed", () => routedTo("/shop", "/", "store.example.com"));
    expect((await spread(`${bamboo.http}/`, 1, { host: "shop.example.com" })).get("HTTP 503")).toBe(1);

    const deleted = await fetch(`${bamboo.api}/api/services//shop`, { method: "DELETE", headers: bamboo.writer });
    expect(deleted.status).toBeLessThan(300);
    expect(deleted.headers.get("x-bamboo-applied")).toBe("runtime");
    await eventually("the default rule routes again", () => routedTo("/shop", "/shop"));
    await eventually("the map file to follow", async () => (await hostMap()) === "");
    expect(await hostMap()).toBe("");

    const after = await haproxy();
    expect(after.reloads).toBe(before.reloads);
    expect(after.runtimeApplies).toBeGreaterThanOrEqual(before.runtimeApplies + 3);
  });

  test("a rule that needs the chain is applied by a reload, and the answer says so", async () => {
    const response = await put("/blog", "hdr(x-canary) -m found");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-bamboo-applied")).toBe("reload");
    expect((await spread(`${bamboo.http}/`, 2, { host: "elsewhere.example", "x-canary": "1" })).get(task("/blog"))).toBe(2);
  });

  test("a reload afterwards comes back with the rules written at run time", async () => {
    expect((await put("/blog", "hdr(host) -i blog.example.com")).status).toBe(200);
    await eventually("blog routed by host", () => routedTo("/blog", "/", "blog.example.com"));
    const reloads = (await haproxy()).reloads;
    await sim.deployApp({ id: "/news", instances: 1 });
    await eventually("the new backend reloaded HAProxy", async () => (await haproxy()).reloads > reloads, 10_000);
    await eventually("/news routed", () => routedTo("/news", "/news"));
    expect(await routedTo("/blog", "/", "blog.example.com")).toBe(true);
  });
});
