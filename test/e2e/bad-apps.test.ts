import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/** One app's bad data must cost that app only: marathon-lb and Bamboo stopped every update. */
describe("an app whose data breaks the config", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/good", instances: 1 });
    await sim.deployApp({ id: "/db", instances: 1, env: { BAMBOO_TCP_PORT: "postgres" } });
    // A customised template that pastes a label into the backend, as users' templates do.
    const dir = await mkdtemp(join(tmpdir(), "bamboo-template-"));
    const template = (await readFile(new URL("../../templates/haproxy.cfg.hbs", import.meta.url), "utf8")).replace(
      "backend {{EscapedId}}-cluster\n",
      "backend {{EscapedId}}-cluster\n{{#if Labels.HAPROXY_EXTRA}}\n    {{Labels.HAPROXY_EXTRA}}\n{{/if}}\n",
    );
    await writeFile(join(dir, "custom.hbs"), template);
    bamboo = await startAppliance({ marathonUrl: sim.url, env: { HAPROXY_TEMPLATE_PATH: join(dir, "custom.hbs") } });
    await bamboo.waitReady();
  });

  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
  });

  const problems = async () => ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { problems: { id: string; message: string }[] }).problems;

  test("a BAMBOO_TCP_PORT that is not a port is ignored and reported; the app is still routed", async () => {
    expect(await problems()).toContainEqual({ id: "/db", message: "env BAMBOO_TCP_PORT='postgres' ignored: expected a port number from 1 to 65535" });
    const [taskId] = sim.tasks("/db").map((t) => t.id);
    expect([...(await spread(`${bamboo.http}/db`, 3)).keys()]).toEqual([taskId!]);
  });

  test("an app whose label HAProxy rejects is left out, and every other app keeps updating", async () => {
    await sim.deployApp({ id: "/broken", instances: 1, labels: { HAPROXY_EXTRA: "bogus_keyword on" } });
    await sim.scale("/good", 2);
    const goodTasks = sim.tasks("/good").map((t) => t.id).sort();
    await eventually("the scaled good app routed", async () => JSON.stringify([...(await spread(`${bamboo.http}/good`, 20)).keys()].sort()) === JSON.stringify(goodTasks));
    await eventually("the broken app reported", async () => (await problems()).some((p) => p.id === "/broken" && p.message.includes("bogus_keyword")));
    expect((await spread(`${bamboo.http}/broken`, 1)).has("HTTP 503")).toBe(true);
  });
});
