import { afterAll, describe, expect, test } from "bun:test";
import packageJson from "../../package.json" with { type: "json" };
import { SETTINGS } from "../../src/config/settings.ts";
import { MarathonSim } from "../support/marathon-sim.ts";
import { marathonAppProblems } from "./marathon-app-rules.ts";

const APP_PATH = new URL("../../image/marathon.json", import.meta.url).pathname;
const app = (await Bun.file(APP_PATH).json()) as Record<string, any>;
const clone = (): Record<string, any> => structuredClone(app);

const sims: MarathonSim[] = [];
afterAll(async () => {
  for (const sim of sims) await sim.stop();
});

describe("image/marathon.json follows Marathon's rules", () => {
  test("has no problem Marathon would refuse", () => {
    expect(marathonAppProblems(app)).toEqual([]);
  });

  test("is accepted by the Marathon simulator's POST /v2/apps", async () => {
    const sim = await MarathonSim.start({ heartbeatMs: 0 });
    sims.push(sim);
    const response = await fetch(`${sim.url}/v2/apps`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(app) });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { id: string }).id).toBe(app.id);
  });

  // Each case breaks one rule; the checker must name it, or the test above proves nothing.
  const broken: Array<[string, (a: Record<string, any>) => void, string]> = [
    ["an id with upper case", (a) => (a.id = "/Bamboo"), "/id"],
    ["neither a command nor a container", (a) => delete a.container, "needs 'cmd'"],
    ["a docker container without an image", (a) => (a.container.docker.image = ""), "/container/docker/image"],
    ["a fractional instance count", (a) => (a.instances = 1.5), "/instances"],
    ["two host networks", (a) => a.networks.push({ mode: "host" }), "/networks"],
    ["an unknown network mode", (a) => (a.networks[0].mode = "bridge"), "/networks/0/mode"],
    ["a port out of range", (a) => (a.portDefinitions[0].port = 70000), "/portDefinitions/0/port"],
    ["the same port twice", (a) => (a.portDefinitions[1].port = 80), "/portDefinitions/1/port"],
    ["a dynamic port with requirePorts", (a) => (a.portDefinitions[0].port = 0), "/portDefinitions/0/port"],
    ["a port name with upper case", (a) => (a.portDefinitions[0].name = "HTTP"), "/portDefinitions/0/name"],
    ["a health check on a missing port index", (a) => (a.healthChecks[0].portIndex = 3), "/healthChecks/0/portIndex"],
    ["a health check with port and portIndex", (a) => (a.healthChecks[0].port = 8000), "not both"],
    ["a health check path without /", (a) => (a.healthChecks[0].path = "status"), "/healthChecks/0/path"],
    ["a timeout as long as the interval", (a) => (a.healthChecks[0].timeoutSeconds = 10), "/healthChecks/0/timeoutSeconds"],
    ["a readiness check on an unknown port name", (a) => (a.readinessChecks[0].portName = "admin"), "/readinessChecks/0/portName"],
    ["two readiness checks", (a) => a.readinessChecks.push({ ...a.readinessChecks[0] }), "at most one readiness check"],
    ["a readiness timeout as long as its interval", (a) => (a.readinessChecks[0].timeoutSeconds = 5), "/readinessChecks/0/timeoutSeconds"],
    ["an unknown health check protocol", (a) => (a.healthChecks[0].protocol = "GRPC"), "/healthChecks/0/protocol"],
    ["a health capacity above 1", (a) => (a.upgradeStrategy.minimumHealthCapacity = 1.5), "/upgradeStrategy/minimumHealthCapacity"],
    ["a negative over-capacity", (a) => (a.upgradeStrategy.maximumOverCapacity = -0.1), "/upgradeStrategy/maximumOverCapacity"],
    ["UNIQUE with a value", (a) => (a.constraints[0] = ["hostname", "UNIQUE", "x"]), "UNIQUE takes no value"],
    ["an unknown constraint operator", (a) => (a.constraints[0] = ["hostname", "ONE_PER"]), "operator must be"],
    ["a constraint that is not an array", (a) => (a.constraints[0] = "hostname:UNIQUE"), "/constraints/0"],
    ["a numeric env value", (a) => (a.env.BAMBOO_BIND = 8000), "/env/BAMBOO_BIND"],
  ];
  test.each(broken)("refuses %s", (_name, breakIt, expected) => {
    const bad = clone();
    breakIt(bad);
    expect(marathonAppProblems(bad).join("\n")).toContain(expected);
  });
});

describe("image/marathon.json deploys the appliance safely", () => {
  test("runs the image of this version on host networking with fixed ports 80, 8000 and 443", () => {
    expect(app.container.docker.image).toBe(`bamboo:${packageJson.version}`);
    expect(app.networks).toEqual([{ mode: "host" }]);
    expect(app.portDefinitions.map((p: { port: number }) => p.port)).toEqual([80, 8000, 443]);
    expect(app.requirePorts).toBe(true);
  });

  test("health-checks liveness (GET /healthz) and waits for readiness (GET /status) on the API port", () => {
    const [check] = app.healthChecks;
    expect(check.protocol).toBe("HTTP");
    expect(check.path).toBe("/healthz");
    expect(app.portDefinitions[check.portIndex].port).toBe(8000);
    const [ready] = app.readinessChecks;
    expect(ready.path).toBe("/status");
    expect(app.portDefinitions.find((p: { name: string }) => p.name === ready.portName).port).toBe(8000);
    expect(ready.httpStatusCodesForReady).toEqual([200]);
    expect(app.env.BAMBOO_BIND.endsWith(":8000")).toBe(true);
  });

  test("places one instance per agent and never takes every instance down", () => {
    expect(app.constraints).toContainEqual(["hostname", "UNIQUE"]);
    expect(app.upgradeStrategy.minimumHealthCapacity).toBeGreaterThanOrEqual(0.5);
    expect(app.upgradeStrategy.minimumHealthCapacity).toBeLessThan(1);
    // With UNIQUE hosts an extra instance has no agent to go to: over-capacity would stall.
    expect(app.upgradeStrategy.maximumOverCapacity).toBe(0);
  });

  test("sets only settings bamboo knows", () => {
    const known = new Set<string>(SETTINGS.map((s) => s.env));
    expect(Object.keys(app.env).filter((key) => !known.has(key))).toEqual([]);
    expect(app.env.MARATHON_ENDPOINT).toBeTruthy();
    expect(app.env.BAMBOO_ZK_HOST).toBeTruthy();
  });

  test("gives an orderly stop time before Marathon's SIGKILL", () => {
    const hardStop = /^(\d+)s$/.exec(app.env.HAPROXY_HARD_STOP_AFTER ?? "30s");
    expect(hardStop).not.toBeNull();
    expect(app.taskKillGracePeriodSeconds).toBeGreaterThan(Number(hardStop![1]));
  });
});
