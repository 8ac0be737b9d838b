import { expect, test } from "bun:test";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { MasterCli } from "../../src/haproxy/master-cli.ts";
import type { LeftoverState } from "../../src/haproxy/supervisor.ts";
import { parentDeathPrefix } from "../../src/system/parent-death.ts";
import { readIdentity } from "../../src/system/process-identity.ts";
import { eventually, freePort, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { testConfig } from "../support/haproxy-config.ts";
import { HAPROXY_BIN, processAlive } from "../support/haproxy-env.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/** Issue 14, item 1: one HAProxy per data directory, and it is bamboo's. */

interface HAProxyStatus {
  masterPid: number | null;
  workerPid: number | null;
  leftover: LeftoverState | null;
}

async function haproxyStatus(bamboo: RunningAppliance): Promise<HAProxyStatus> {
  return ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { haproxy: HAProxyStatus }).haproxy;
}

/** Live HAProxy processes (masters and workers) whose command line names `dataDir`. */
async function haproxiesOf(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    const identity = /^\d+$/.test(name) ? readIdentity(Number(name)) : null;
    if (identity?.argv[0]?.endsWith("haproxy") && identity.argv.some((arg) => arg.includes(dataDir))) pids.push(identity.pid);
  }
  return pids;
}

/** Listening TCP sockets on `port`: with SO_REUSEPORT, one per HAProxy serving it. */
function listenersOn(port: number): number {
  const ss = Bun.spawnSync(["ss", "-ltnH", `sport = :${port}`]);
  return ss.stdout.toString().split("\n").filter((line) => line.trim() !== "").length;
}

/**
 * What an earlier bamboo leaves when it is killed where nothing takes its HAProxy down: an
 * HAProxy on the data directory's files (-f, -S, -p as bamboo passes them) serving a config
 * nobody maintains any more, here one that answers "stale" to everything.
 */
async function startLeftover(dataDir: string, port: number, stalePort: number): Promise<Subprocess> {
  await writeFile(join(dataDir, "haproxy.cfg"), testConfig({ frontendPort: port, statsSocket: join(dataDir, "haproxy-stats.sock"), servers: [{ name: "stale", port: stalePort }] }));
  const masterSocket = join(dataDir, "haproxy-master.sock");
  // setpriv: should this test process die, its stand-in leftover goes too instead of leaking.
  const proc = Bun.spawn([...(parentDeathPrefix("SIGKILL") ?? []), HAPROXY_BIN, "-W", "-db", "-S", `${masterSocket},level,admin`, "-f", join(dataDir, "haproxy.cfg"), "-p", join(dataDir, "haproxy.pid")], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  await eventually("the leftover to serve", async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => null))?.status === 200);
  await eventually("the leftover's master CLI", async () => (await new MasterCli(masterSocket).showProc().catch(() => null)) !== null);
  return proc;
}

/** Rethrows a failed wait with what bamboo logged, which says why. */
function withLogs<T>(bamboo: RunningAppliance, wait: Promise<T>): Promise<T> {
  return wait.catch((error: unknown) => {
    throw new Error(`${String(error)}\nbamboo logged:\n${bamboo.logs()}`);
  });
}

async function withStaleBackend<T>(run: (stalePort: number) => Promise<T>): Promise<T> {
  const stale = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("stale") });
  try {
    return await run(stale.port ?? 0);
  } finally {
    stale.stop(true);
  }
}

test.skipIf(Bun.which("setpriv") === null)("bamboo killed with SIGKILL: its HAProxy master and worker exit too", async () => {
  const sim = await MarathonSim.start();
  await sim.deployApp({ id: "/web", instances: 1 });
  const bamboo = await startAppliance({ marathonUrl: sim.url });
  try {
    await bamboo.waitReady();
    const { masterPid, workerPid } = await haproxyStatus(bamboo);
    expect(await haproxiesOf(bamboo.dataDir)).toContain(masterPid!);
    bamboo.process.kill("SIGKILL");
    await bamboo.process.exited;
    await eventually("HAProxy to follow bamboo", async () => !(await processAlive(masterPid!)) && !(await processAlive(workerPid!)), 10_000);
    expect(await haproxiesOf(bamboo.dataDir)).toEqual([]);
  } finally {
    await bamboo.stop();
    await sim.stop();
  }
});

test("an HAProxy left on the data directory is retired once the new one serves: a rule change then reaches every request", async () => {
  const sim = await MarathonSim.start();
  await sim.deployApp({ id: "/blue", instances: 1 });
  await sim.deployApp({ id: "/green", instances: 1 });
  const dataDir = await mkdtemp(join(tmpdir(), "bamboo-e2e-orphan-"));
  const port = await freePort();
  await withStaleBackend(async (stalePort) => {
    const leftover = await startLeftover(dataDir, port, stalePort);
    const bamboo = await startAppliance({ marathonUrl: sim.url, dataDir, env: { HAPROXY_HTTP_BIND: `127.0.0.1:${port}` } });
    try {
      await bamboo.waitReady();
      await withLogs(bamboo, eventually("the leftover to be retired", async () => (await haproxyStatus(bamboo)).leftover?.action === "retired", 10_000));
      expect((await haproxyStatus(bamboo)).leftover).toMatchObject({ pids: [leftover.pid], signal: "SIGUSR1" });
      expect(await processAlive(leftover.pid)).toBe(false);
      expect(bamboo.logs()).toContain("found an HAProxy left by an earlier run on this data directory");

      const put = await fetch(`${bamboo.api}/api/services//green`, { method: "PUT", headers: bamboo.writer, body: JSON.stringify({ acl: "hdr(host) -i shop.example.com" }) });
      expect(put.status).toBe(200);
      const green = sim.tasks("/green")[0]!.id;
      const url = `http://127.0.0.1:${port}/`;
      await eventually("the new rule routed", async () => (await spread(url, 3, { host: "shop.example.com" })).get(green) === 3);
      expect(await spread(url, 40, { host: "shop.example.com" })).toEqual(new Map([[green, 40]]));
      expect(listenersOn(port)).toBe(1);
      const { masterPid } = await haproxyStatus(bamboo);
      const ours = await haproxiesOf(dataDir);
      expect(ours).toContain(masterPid!);
      expect(ours).not.toContain(leftover.pid);
    } finally {
      await bamboo.stop();
      leftover.kill("SIGKILL");
      await sim.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
}, 30_000);

test("SIGTERM of a bamboo whose HAProxy never started (Marathon unreachable) still retires a leftover", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "bamboo-e2e-orphan-"));
  const port = await freePort();
  await withStaleBackend(async (stalePort) => {
    const leftover = await startLeftover(dataDir, port, stalePort);
    const bamboo = await startAppliance({ marathonUrl: "http://127.0.0.1:9", dataDir, env: { HAPROXY_HTTP_BIND: `127.0.0.1:${port}` } });
    try {
      await withLogs(
        bamboo,
        eventually("the leftover to be reported", async () => (await haproxyStatus(bamboo).catch(() => null))?.leftover?.action === "found", 15_000),
      );
      expect((await haproxyStatus(bamboo)).masterPid).toBeNull();
      bamboo.process.kill("SIGTERM");
      expect(await bamboo.process.exited).toBe(0);
      expect(await processAlive(leftover.pid)).toBe(false);
      expect(await haproxiesOf(dataDir)).toEqual([]);
      expect(bamboo.logs()).toContain("stopping the HAProxy left by an earlier run");
    } finally {
      await bamboo.stop();
      leftover.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  });
}, 30_000);
