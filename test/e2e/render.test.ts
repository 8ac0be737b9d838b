/**
 * One compile path (issue 15): `bamboo render` prints the config serve runs, byte for byte,
 * fallbacks included, from Marathon and the store or offline from saved answers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BAMBOO_BIN, eventually, freePort, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

interface Status {
  config: { pending: unknown; fileError: string | null };
  problems: { id: string; message: string }[];
}

describe("bamboo render", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;
  let saved: string;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/web", instances: 3 });
    await sim.deployApp({ id: "/ghost", instances: 2, healthChecks: [{ protocol: "HTTP", path: "/health", portIndex: 0 }] });
    await sim.deployApp({ id: "/group/api", instances: 2 });
    await sim.deployApp({ id: "/legacy", instances: 1 });
    await sim.deployApp({ id: "/db", instances: 1, env: { BAMBOO_TCP_PORT: "postgres" } });
    await sim.deployApp({ id: "/cache", instances: 1, env: { BAMBOO_TCP_PORT: String(await freePort()) } });
    const dataDir = await mkdtemp(join(tmpdir(), "bamboo-e2e-"));
    const service = (id: string, acl: string) => ({ id, acl, config: { Acl: acl } });
    await writeFile(
      join(dataDir, "services.json"),
      JSON.stringify({
        format: "bamboo-services/1",
        services: [
          service("/ghost", "hdr(host) -i ghost.local"),
          service("/group/api", "path_beg -i /api"),
          // Written by another tool, past the API's checks: HAProxy rejects it, so /legacy falls back to its default rule.
          service("/legacy", "nosuchfetch -i legacy.local"),
          service("/gone", "hdr(host) -i gone.local"),
        ],
      }),
    );
    bamboo = await startAppliance({ marathonUrl: sim.url, dataDir });
    await bamboo.waitReady();
    await eventually("serve settled with every fallback reported", async () => {
      const status = (await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as Status;
      const ids = new Set(status.problems.map((problem) => problem.id));
      return status.config.pending === null && status.config.fileError === null && ids.has("/legacy") && ids.has("/db");
    });
    saved = await mkdtemp(join(tmpdir(), "bamboo-saved-"));
    await writeFile(join(saved, "apps.json"), await (await fetch(`${sim.url}/v2/apps?embed=apps.tasks`)).text());
    await writeFile(join(saved, "services.json"), await (await fetch(`${bamboo.api}/api/services`, { headers: bamboo.writer })).text());
  });

  afterAll(async () => {
    if (bamboo) {
      await bamboo.stop();
      await rm(bamboo.dataDir, { recursive: true, force: true });
    }
    await sim?.stop();
    if (saved) await rm(saved, { recursive: true, force: true });
  });

  /** Not spawnSync: the simulator answers from this process, which must keep running meanwhile. */
  async function run(args: string[], env: Record<string, string>) {
    const proc = Bun.spawn([BAMBOO_BIN, ...args], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    return { status: await proc.exited, stdout, stderr };
  }
  /** The same settings, with no Marathon and no ZooKeeper to ask. */
  const offline = () => ({ ...bamboo.env, MARATHON_ENDPOINT: "http://127.0.0.1:1", BAMBOO_ZK_HOST: "127.0.0.1:1" });
  const servedConfig = () => readFile(join(bamboo.dataDir, "haproxy.cfg"), "utf8");

  test("from saved answers, offline, it prints the config serve wrote, fallbacks included", async () => {
    const rendered = await run(["render", "--apps", join(saved, "apps.json"), "--services", join(saved, "services.json")], offline());
    expect(rendered.status).toBe(0);
    const served = await servedConfig();
    expect(rendered.stdout).toBe(served);
    // The fallbacks are there to compare: /legacy routes by its default rule, /db has no TCP listener.
    expect(await readFile(join(bamboo.dataDir, "maps", "path-prefix.map"), "utf8")).toContain("/legacy ::legacy-cluster\n");
    expect(served).not.toContain("nosuchfetch");
    expect(served).not.toContain("postgres");
    expect(served).toContain(bamboo.env.HAPROXY_HTTP_BIND!);
  });

  test("it reports on stderr what serve reports as problems", async () => {
    const rendered = await run(["render", "--apps", join(saved, "apps.json"), "--services", join(saved, "services.json")], offline());
    const status = (await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as Status;
    const served = status.problems.filter((problem) => problem.id === "/legacy" || problem.id === "/db").map((problem) => `warning: ${problem.id}: ${problem.message}`);
    expect(served).toHaveLength(2);
    expect(rendered.stderr.trim().split("\n").sort()).toEqual(served.sort());
  });

  test("without the files it asks Marathon and the store, and prints the same", async () => {
    const rendered = await run(["render"], bamboo.env);
    expect(rendered.status).toBe(0);
    expect(rendered.stdout).toBe(await servedConfig());
  });

  test("check accepts the same apps and rules from saved answers", async () => {
    const checked = await run(["check", "--apps", join(saved, "apps.json"), "--services", join(saved, "services.json")], offline());
    expect(checked.status).toBe(0);
    expect(checked.stdout).toContain("OK for 6 apps and 4 rules");
  });
});
