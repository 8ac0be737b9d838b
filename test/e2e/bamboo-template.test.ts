import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/**
 * A template ported line by line from Bamboo's Go template, reading the services map from
 * inside the apps loop (`../Services`): the memoized render must notice a rule change there,
 * and task churn must still go through the runtime API.
 */
const BAMBOO_STYLE = `global
    stats socket {{HAProxy.StatsSocket}} mode 600 level admin
    server-state-file {{HAProxy.ServerStateFile}}

defaults
    mode http
    load-server-state-from-file global
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend http-in
    bind {{HAProxy.HttpBind}}
{{#each Apps}}
{{#if (hasKey ../Services Id)}}
    acl {{EscapedId}}-aclrule {{Acl}}
    use_backend {{EscapedId}}-cluster if {{EscapedId}}-aclrule
{{/if}}
{{/each}}

{{#each Apps}}
backend {{EscapedId}}-cluster
    balance roundrobin
{{#each Tasks}}
    server {{../EscapedId}}-{{Host}}-{{Port}} {{Host}}:{{Port}}
{{/each}}
{{/each}}
`;

describe("a Bamboo-style template", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;
  let dir: string;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/ghost", instances: 2 });
    await sim.deployApp({ id: "/blog", instances: 1 });
    dir = await mkdtemp(join(tmpdir(), "bamboo-template-"));
    await writeFile(join(dir, "bamboo.hbs"), BAMBOO_STYLE);
    bamboo = await startAppliance({ marathonUrl: sim.url, env: { HAPROXY_TEMPLATE_PATH: join(dir, "bamboo.hbs") } });
    await bamboo.waitReady();
  });

  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const haproxy = async () => ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { haproxy: { reloads: number; runtimeOperations: number } }).haproxy;
  const tasksOf = (appId: string) => sim.tasks(appId).map((t) => t.id).sort();
  const routes = (host: string, appId: string) => async () =>
    JSON.stringify([...(await spread(`${bamboo.http}/`, tasksOf(appId).length * 2 + 1, { host })).keys()].sort()) === JSON.stringify(tasksOf(appId));
  const putRule = (id: string, acl: string) => fetch(`${bamboo.api}/api/services`, { method: "POST", headers: bamboo.writer, body: JSON.stringify({ id, acl }) });

  test("a rule stored for one app routes its host; another app's rule added later routes too", async () => {
    expect((await putRule("/ghost", "hdr(host) -i ghost.local")).status).toBe(200);
    await eventually("ghost.local routed", routes("ghost.local", "/ghost"));
    expect((await putRule("/blog", "hdr(host) -i blog.local")).status).toBe(200);
    await eventually("blog.local routed", routes("blog.local", "/blog"));
    expect(await routes("ghost.local", "/ghost")()).toBe(true);
    // The new worker serves before the master confirms the reload and it is counted.
    await eventually("both rule changes counted as reloads", async () => (await haproxy()).reloads === 2);
  });

  test("scaling goes through the runtime API, without a reload", async () => {
    await eventually("ghost.local routed", routes("ghost.local", "/ghost"));
    const before = await haproxy();
    await sim.scale("/ghost", 4);
    await eventually("four ghost tasks routed", routes("ghost.local", "/ghost"));
    await sim.scale("/ghost", 1);
    await eventually("one ghost task routed", routes("ghost.local", "/ghost"));
    const after = await haproxy();
    expect(after.reloads).toBe(before.reloads);
    expect(after.runtimeOperations).toBeGreaterThan(before.runtimeOperations);
  });
});
