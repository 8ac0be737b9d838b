import { afterAll, describe, expect, test } from "bun:test";
import packageJson from "../../package.json" with { type: "json" };
import { loadConfig } from "../../src/config/load.ts";
import { SETTINGS } from "../../src/config/settings.ts";
import { MarathonSim } from "../support/marathon-sim.ts";
import { marathonAppProblems } from "./marathon-app-rules.ts";

const LOCAL_PATH = new URL("../../image/marathon-local.json", import.meta.url).pathname;
const EDGE_PATH = new URL("../../image/marathon.json", import.meta.url).pathname;
const local = (await Bun.file(LOCAL_PATH).json()) as Record<string, any>;
const edge = (await Bun.file(EDGE_PATH).json()) as Record<string, any>;

const sims: MarathonSim[] = [];
afterAll(async () => {
  for (const sim of sims) await sim.stop();
});

describe("image/marathon-local.json: one appliance per agent for calls between apps", () => {
  test("has no problem Marathon would refuse, and the simulator's POST /v2/apps accepts it", async () => {
    expect(marathonAppProblems(local)).toEqual([]);
    const sim = await MarathonSim.start({ heartbeatMs: 0 });
    sims.push(sim);
    const response = await fetch(`${sim.url}/v2/apps`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(local) });
    expect(response.status).toBe(201);
  });

  test("runs this version's image on host networking, one instance per agent", () => {
    expect(local.container.docker.image).toBe(`bamboo:${packageJson.version}`);
    expect(local.networks).toEqual([{ mode: "host" }]);
    expect(local.constraints).toContainEqual(["hostname", "UNIQUE"]);
    expect(local.upgradeStrategy.maximumOverCapacity).toBe(0);
  });

  test("serves service ports on loopback and the Docker bridge, needs no ZooKeeper, and its settings load", () => {
    const known = new Set<string>(SETTINGS.map((s) => s.env));
    expect(Object.keys(local.env).filter((key) => !known.has(key))).toEqual([]);
    expect(local.env.BAMBOO_ZK_HOST).toBeUndefined();
    expect(local.env.BAMBOO_GROUPS).toBeUndefined();
    const { config } = loadConfig({ env: local.env });
    expect(config.haproxy.serviceBind).toEqual({ off: false, addresses: ["127.0.0.1", "172.17.0.1"] });
    expect(config.haproxy.httpBind.host).toBe("127.0.0.1");
  });

  test("can run beside the edge instance on one agent: no port of one is a port of the other", () => {
    const ports = (app: Record<string, any>) => app.portDefinitions.map((p: { port: number }) => p.port) as number[];
    expect(ports(local).filter((port) => ports(edge).includes(port))).toEqual([]);
  });

  test("neither routes to bamboo itself: every port of both apps is disabled for service-port listeners", () => {
    for (const app of [local, edge]) {
      app.portDefinitions.forEach((_: unknown, index: number) => expect(app.labels[`HAPROXY_${index}_ENABLED`]).toBe("false"));
    }
  });

  test("health-checks liveness from the agent (MESOS_HTTP) and waits for readiness on the API port", () => {
    const [check] = local.healthChecks;
    expect([check.protocol, check.path, local.portDefinitions[check.portIndex].name]).toEqual(["MESOS_HTTP", "/healthz", "api"]);
    expect(local.readinessChecks[0].path).toBe("/status");
    expect(local.env.BAMBOO_BIND).toBe(`:${local.portDefinitions[check.portIndex].port}`);
  });
});
