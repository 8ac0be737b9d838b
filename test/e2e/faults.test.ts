/**
 * Faults that used to leave the appliance serving stale or no routes while /status said OK
 * (issue 14): templates HAProxy refuses, an emptied app list, a full or read-only data
 * directory. The real dist/bamboo, the real HAProxy, the Marathon simulator.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BAMBOO_BIN, eventually, freePorts, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

interface ConfigStatus {
  version: string | null;
  appliedAt: string | null;
  apps: number;
  pending: { since: string; seconds: number; reason: string; apps: number; retrying: boolean } | null;
  fileError: string | null;
}
interface Status {
  ready: boolean;
  config: ConfigStatus;
  problems: { id: string; message: string }[];
}

const status = async (bamboo: RunningAppliance) => (await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as Status;
const metric = async (bamboo: RunningAppliance, name: string) => {
  const text = await (await fetch(`${bamboo.api}/metrics`, { headers: bamboo.reader })).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(" ")[1]);
};
const stateApps = async (bamboo: RunningAppliance) =>
  ((await (await fetch(`${bamboo.api}/api/state`, { headers: bamboo.writer })).json()) as { Apps: { Id: string }[] }).Apps.map((a) => a.Id);
const routesTo = async (bamboo: RunningAppliance, path: string, taskIds: string[]) =>
  JSON.stringify([...(await spread(`${bamboo.http}${path}`, taskIds.length * 4)).keys()].sort()) === JSON.stringify([...taskIds].sort());

async function customTemplate(edit: (source: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bamboo-template-"));
  const source = await readFile(new URL("../../templates/haproxy.cfg.hbs", import.meta.url), "utf8");
  const edited = edit(source);
  expect(edited).not.toBe(source);
  await writeFile(join(dir, "custom.hbs"), edited);
  return join(dir, "custom.hbs");
}

/** Runs dist/bamboo until it exits on its own; returns its exit code and output. */
async function runUntilExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "bamboo-e2e-"));
  const [apiPort, httpPort] = await freePorts(2);
  const proc = Bun.spawn([BAMBOO_BIN], {
    env: {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      BAMBOO_BIND: `127.0.0.1:${apiPort}`,
      HAPROXY_HTTP_BIND: `127.0.0.1:${httpPort}`,
      BAMBOO_DATA_DIR: dataDir,
      BAMBOO_API_PASSWORD: "x",
      HAPROXY_STATS_PASSWORD: "x",
      ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  await rm(dataDir, { recursive: true, force: true });
  return { code: proc.signalCode === null ? code : null, output: stdout + stderr };
}

describe("a template HAProxy refuses", () => {
  let sim: MarathonSim;
  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/a", instances: 1 });
  });
  afterAll(() => sim?.stop());

  test("at start, with nothing good to fall back on, serve exits 1 with HAProxy's message", async () => {
    const template = await customTemplate((s) => s.replace(/^(backend \{\{EscapedId\}\}-cluster\n)/m, "$1    balance nosuchalgo\n"));
    const { code, output } = await runUntilExit({ MARATHON_ENDPOINT: sim.url, HAPROXY_TEMPLATE_PATH: template });
    expect(code).toBe(1);
    expect(output).toContain("balance only supports");
  });

  test("broken even for an empty cluster: serve exits 1 before waiting for Marathon, and check says why", async () => {
    const template = await customTemplate((s) => s.replace(/^defaults\n/m, "defaults\n    bogus_directive on\n"));
    const env = { MARATHON_ENDPOINT: "http://127.0.0.1:1", HAPROXY_TEMPLATE_PATH: template };
    const serve = await runUntilExit(env);
    expect(serve.code).toBe(1);
    expect(serve.output).toContain("bogus_directive");
    const checked = spawnSync(BAMBOO_BIN, ["check"], { env: { PATH: process.env.PATH, ...env, BAMBOO_DATA_DIR: tmpdir() }, encoding: "utf8" });
    expect(checked.status).toBe(1);
    expect(checked.stderr).toContain("bogus_directive");
  });

  test("check renders for the apps of --apps FILE and fails with HAProxy's message", async () => {
    const template = await customTemplate((s) => s.replace(/^(backend \{\{EscapedId\}\}-cluster\n)/m, "$1    balance nosuchalgo\n"));
    const dir = await mkdtemp(join(tmpdir(), "bamboo-apps-"));
    await writeFile(join(dir, "apps.json"), await (await fetch(`${sim.url}/v2/apps?embed=apps.tasks`)).text());
    const env = { PATH: process.env.PATH, MARATHON_ENDPOINT: "http://127.0.0.1:1", HAPROXY_TEMPLATE_PATH: template, BAMBOO_DATA_DIR: dir };
    const bad = spawnSync(BAMBOO_BIN, ["check", "--apps", join(dir, "apps.json")], { env, encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("balance only supports");
    const good = spawnSync(BAMBOO_BIN, ["check", "--apps", join(dir, "apps.json")], { env: { ...env, HAPROXY_TEMPLATE_PATH: "" }, encoding: "utf8" });
    expect(good.stderr).toBe("");
    expect(good.status).toBe(0);
    expect(good.stdout).toContain("OK for 1 apps");
  });

  test("while running: when no app is to blame the running config stays, the refusal is reported and nothing is dropped", async () => {
    // Valid while there is one app, refused for every app once there are two: the template's fault.
    const template = await customTemplate((s) => s.replace(/^(backend \{\{EscapedId\}\}-cluster\n)/m, "$1    balance {{#if @root.Apps.[1]}}nosuchalgo{{else}}roundrobin{{/if}}\n"));
    const local = await MarathonSim.start({ heartbeatMs: 1_000 });
    await local.deployApp({ id: "/a", instances: 1 });
    const bamboo = await startAppliance({ marathonUrl: local.url, env: { HAPROXY_TEMPLATE_PATH: template } });
    try {
      await bamboo.waitReady();
      const aTasks = local.tasks("/a").map((t) => t.id);
      await eventually("/a routed", () => routesTo(bamboo, "/a", aTasks));
      const before = await status(bamboo);
      expect(before.config.version).toMatch(/^[0-9a-f]{16}$/);
      expect(before.config.pending).toBeNull();

      await local.deployApp({ id: "/b", instances: 1 });
      await eventually("the refusal reported", async () => (await status(bamboo)).config.pending !== null, 10_000);
      const after = await status(bamboo);
      expect(after.config.pending!.reason).toContain("balance only supports");
      expect(after.config.version).toBe(before.config.version);
      expect(after.problems.some((p) => p.message.includes("balance only supports"))).toBe(true);
      expect(after.problems.some((p) => p.id === "/a" || p.id === "/b")).toBe(false);
      expect(await routesTo(bamboo, "/a", aTasks)).toBe(true);
      expect(await stateApps(bamboo)).toEqual(["/a"]);
      expect(await metric(bamboo, "bamboo_routing_problems")).toBeGreaterThanOrEqual(1);
      await eventually("the pending gauge rising", async () => (await metric(bamboo, "bamboo_config_pending_seconds")) > 0);
      expect(bamboo.process.exitCode).toBeNull();
      // Off by default: a stale config alone does not take the appliance out of rotation.
      expect((await fetch(`${bamboo.api}/status`)).status).toBe(200);
    } finally {
      await bamboo.stop();
      await local.stop();
    }
  });

  test("BAMBOO_STALE_UNREADY_AFTER turns /status 503 once a change has been refused that long, and 200 when applied", async () => {
    const template = await customTemplate((s) => s.replace(/^(backend \{\{EscapedId\}\}-cluster\n)/m, "$1    balance {{#if @root.Apps.[1]}}nosuchalgo{{else}}roundrobin{{/if}}\n"));
    const local = await MarathonSim.start({ heartbeatMs: 1_000 });
    await local.deployApp({ id: "/a", instances: 1 });
    const bamboo = await startAppliance({ marathonUrl: local.url, env: { HAPROXY_TEMPLATE_PATH: template, BAMBOO_STALE_UNREADY_AFTER: "1s" } });
    try {
      await bamboo.waitReady();
      await local.deployApp({ id: "/b", instances: 1 });
      await eventually("/status 503 for a stale config", async () => (await fetch(`${bamboo.api}/status`)).status === 503, 10_000);
      expect(await (await fetch(`${bamboo.api}/status`)).text()).toContain("BAMBOO_STALE_UNREADY_AFTER");
      await local.removeApp("/b");
      await eventually("/status 200 once the wanted config runs", async () => (await fetch(`${bamboo.api}/status`)).status === 200, 10_000);
      expect((await status(bamboo)).config.pending).toBeNull();
    } finally {
      await bamboo.stop();
      await local.stop();
    }
  });
});

describe("Marathon answering an emptied or malformed app list", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;
  const ids = Array.from({ length: 10 }, (_, i) => `/app${i}`);

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    for (const id of ids) await sim.deployApp({ id, instances: 1 });
    bamboo = await startAppliance({ marathonUrl: sim.url });
    await bamboo.waitReady();
  });
  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
  });
  afterEach(() => sim.overrideAppList(null));

  test("an empty list keeps every route until a second fetch seconds later agrees, and says so", async () => {
    const taskIds = sim.tasks("/app3").map((t) => t.id);
    sim.overrideAppList({ apps: [] });
    sim.emit("group_change_success", { groupId: "/" });
    await eventually("the held list reported", async () => (await status(bamboo)).problems.some((p) => p.message.includes("0 of the 10 known apps")), 5_000);
    expect(await routesTo(bamboo, "/app3", taskIds)).toBe(true);
    // Marathon recovers before the confirming fetch: nothing was ever removed.
    sim.overrideAppList(null);
    await eventually("the hold to end", async () => !(await status(bamboo)).problems.some((p) => p.message.includes("known apps")), 10_000);
    expect((await stateApps(bamboo)).length).toBe(10);
    expect(await routesTo(bamboo, "/app3", taskIds)).toBe(true);
  });

  test("entries that cannot be read never count as removed apps, and are reported", async () => {
    const taskIds = sim.tasks("/app5").map((t) => t.id);
    const real = (await (await fetch(`${sim.url}/v2/apps?embed=apps.tasks`)).json()) as { apps: { id: string }[] };
    sim.overrideAppList({ apps: real.apps.map((app) => (app.id === "/app5" ? { id: "/app5", instances: "many" } : app)) });
    sim.emit("group_change_success", { groupId: "/" });
    await eventually("the unreadable entry reported", async () => (await status(bamboo)).problems.some((p) => p.id === "/app5"), 5_000);
    expect(await stateApps(bamboo)).toContain("/app5");
    expect(await routesTo(bamboo, "/app5", taskIds)).toBe(true);
  });
});

/** A small tmpfs needs root; elsewhere these are reported as skipped, not passed. */
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("a full or read-only data directory", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;
  let mountPoint: string;

  beforeAll(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), "bamboo-tmpfs-"));
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint]).status).toBe(0);
    await mkdir(join(mountPoint, "data"));
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    // Two instances: four server slots, room to scale at run time while the disk is full.
    await sim.deployApp({ id: "/a", instances: 2 });
    bamboo = await startAppliance({ marathonUrl: sim.url, dataDir: join(mountPoint, "data") });
    await bamboo.waitReady();
  });
  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
    spawnSync("umount", ["-l", mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  }, 30_000);

  const tempFiles = async () => (await readdir(join(mountPoint, "data"))).filter((name) => name.includes(".tmp-"));

  test("a disk full: the change is reported within a second, nothing else changes, and it applies within seconds of room", async () => {
    // Fill the disk: dd stops at ENOSPC.
    spawnSync("dd", ["if=/dev/zero", `of=${join(mountPoint, "filler")}`, "bs=64k"]);
    // Task churn still applies through the runtime API; the file lagging behind it is reported.
    await sim.scale("/a", 3);
    const aTasks = sim.tasks("/a").map((t) => t.id);
    await eventually("the scaled app routed", () => routesTo(bamboo, "/a", aTasks), 5_000);
    await eventually("the lagging file reported", async () => (await status(bamboo)).config.fileError?.includes("no space left") === true);
    await sim.deployApp({ id: "/b", instances: 1 });
    const bTasks = sim.tasks("/b").map((t) => t.id);
    await eventually("the pending change reported", async () => (await status(bamboo)).config.pending !== null, 5_000);
    const pending = (await status(bamboo)).config.pending!;
    expect(pending.reason).toContain("no space left on device");
    expect(pending.retrying).toBe(true);
    expect(await stateApps(bamboo)).toEqual(["/a"]);
    expect(await metric(bamboo, "bamboo_routing_problems")).toBeGreaterThanOrEqual(1);
    expect(await tempFiles()).toEqual([]);

    await rm(join(mountPoint, "filler"));
    const freedAt = performance.now();
    await eventually("/b routed after the disk has room", () => routesTo(bamboo, "/b", bTasks), 10_000);
    expect(performance.now() - freedAt).toBeLessThan(6_000);
    // HAProxy routes the moment its new worker runs; the status follows when the reload is confirmed.
    await eventually("the change published as applied", async () => (await status(bamboo)).config.pending === null);
    expect(await metric(bamboo, "bamboo_config_pending_seconds")).toBe(0);
    await eventually("the file caught up", async () => (await status(bamboo)).config.fileError === null);
    expect(await tempFiles()).toEqual([]);
  });

  test("a read-only disk: the change is reported and applied once it is writable again", async () => {
    expect(spawnSync("mount", ["-o", "remount,ro", mountPoint]).status).toBe(0);
    await sim.deployApp({ id: "/c", instances: 1 });
    const cTasks = sim.tasks("/c").map((t) => t.id);
    try {
      await eventually("the pending change reported", async () => (await status(bamboo)).config.pending?.reason.includes("read-only") === true, 5_000);
      expect(await stateApps(bamboo)).not.toContain("/c");
    } finally {
      expect(spawnSync("mount", ["-o", "remount,rw", mountPoint]).status).toBe(0);
    }
    await eventually("/c routed after the disk is writable", () => routesTo(bamboo, "/c", cTasks), 10_000);
    await eventually("the change published as applied", async () => (await status(bamboo)).config.pending === null);
  });
});
