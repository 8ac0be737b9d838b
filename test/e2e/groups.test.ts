import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import parse from "parse-prometheus-text-format";
import type { Overview } from "../../src/http/ui/api-types.ts";
import { eventually, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/**
 * Issue 20 item 4: BAMBOO_GROUPS makes an instance serve only the apps of its groups, read
 * from marathon-lb's HAPROXY_GROUP (or bamboo's BAMBOO_GROUP) label; two instances of
 * different groups share one Marathon, each routing its own apps and saying how many it
 * leaves to the other.
 */

let sim: MarathonSim;
let edge: RunningAppliance;
let everything: RunningAppliance;

beforeAll(async () => {
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  await sim.deployApp({ id: "/shop", instances: 1, labels: { HAPROXY_GROUP: "external" } });
  await sim.deployApp({ id: "/billing", instances: 1, labels: { HAPROXY_GROUP: "internal" } });
  await sim.deployApp({ id: "/both", instances: 1, labels: { HAPROXY_GROUP: "internal,external" } });
  await sim.deployApp({ id: "/plain", instances: 1 });
  // One after the other, each listening before the next picks its free ports: at once, both can pick the same one.
  edge = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_GROUPS: "external" } });
  await edge.waitReady();
  everything = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_GROUPS: "internal", BAMBOO_UNGROUPED_APPS: "serve" } });
  await everything.waitReady();
});

afterAll(async () => {
  await Promise.all([edge?.stop(), everything?.stop()]);
  await sim?.stop();
});

const status = async (bamboo: RunningAppliance, path: string) => (await fetch(`${bamboo.http}${path}`)).status;

describe("groups", () => {
  test("each instance routes the apps of its groups and answers 503 for the others' (no rule matches)", async () => {
    expect(await status(edge, "/shop")).toBe(200);
    expect(await status(edge, "/both")).toBe(200);
    expect(await status(edge, "/billing")).toBe(503);
    // Ungrouped apps are skipped by default, as marathon-lb does.
    expect(await status(edge, "/plain")).toBe(503);
    expect(await status(everything, "/billing")).toBe(200);
    expect(await status(everything, "/both")).toBe(200);
    expect(await status(everything, "/plain")).toBe(200);
    expect(await status(everything, "/shop")).toBe(503);
  });

  test("status, metrics and the overview say how many apps are left to other instances", async () => {
    const body = (await (await fetch(`${edge.api}/api/status`, { headers: edge.reader })).json()) as { config: { apps: number; groups: unknown }; problems: unknown[] };
    expect(body.config.groups).toEqual({ groups: ["external"], ungrouped: "skip", appsElsewhere: 2 });
    expect(body.problems).toEqual([]);
    const metrics = parse(await (await fetch(`${edge.api}/metrics`, { headers: edge.reader })).text());
    expect(metrics.find((family) => family.name === "bamboo_apps_elsewhere")?.metrics[0]?.value).toBe("2");
    expect(metrics.find((family) => family.name === "bamboo_apps")?.metrics[0]?.value).toBe("2");
    const overview = (await (await fetch(`${edge.api}/api/overview`, { headers: edge.reader })).json()) as Overview;
    expect(overview.apps.map((app) => app.id)).toEqual(["/both", "/shop"]);
    expect(overview.elsewhere).toEqual({ count: 2, groups: ["external"] });
  });

  test("an app that changes group moves between instances without a restart", async () => {
    await sim.deployApp({ id: "/billing", instances: 1, labels: { HAPROXY_GROUP: "external" } });
    await eventually("the edge instance to route /billing", async () => (await status(edge, "/billing")) === 200, 15_000);
    await eventually("the internal instance to let it go", async () => (await status(everything, "/billing")) === 503, 15_000);
  });
});
