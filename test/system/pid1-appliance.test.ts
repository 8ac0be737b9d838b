import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";
import { parseStat } from "../../src/system/proc-table.ts";

/** Processes whose parent is `ppid`, seen from the host's /proc. */
function childrenOf(ppid: number): { pid: number; state: string }[] {
  const found: { pid: number; state: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseStat(readFileSync(`/proc/${entry}/stat`, "utf8"));
      if (stat && stat.ppid === ppid) found.push({ pid: stat.pid, state: stat.state });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Issue 8: dist/bamboo as PID 1 of its own PID namespace, as in a container. */
describe("dist/bamboo as PID 1", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;
  let hostPid: number;
  let logFile: string;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/one", instances: 1 });
    logFile = join(tmpdir(), `bamboo-pid1-${process.pid}.log`);
    bamboo = await startAppliance({ marathonUrl: sim.url, wrapper: ["unshare", "--pid", "--fork", "--mount-proc"], args: ["--log", logFile] });
    await bamboo.waitReady();
    // unshare forks bamboo into the new namespace: its only child is bamboo, PID 1 inside.
    await eventually("bamboo under unshare", async () => childrenOf(bamboo.process.pid).length === 1);
    hostPid = childrenOf(bamboo.process.pid)[0]!.pid;
    expect(readFileSync(`/proc/${hostPid}/status`, "utf8")).toMatch(/^NSpid:\s+\d+\s+1$/m);
  });

  afterAll(async () => {
    if (hostPid) process.kill(hostPid, "SIGTERM");
    await bamboo?.stop();
    await sim?.stop();
    await Promise.all([logFile, `${logFile}.1`].map((path) => Bun.file(path).delete().catch(() => undefined)));
  });

  const zombies = () => childrenOf(hostPid).filter((child) => child.state === "Z");
  const masterPid = async () => ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { haproxy: { masterPid: number | null; restarts: number } }).haproxy;

  test("reloads and HAProxy crashes leave no zombie behind", async () => {
    for (const id of ["/two", "/three", "/four"]) {
      await sim.deployApp({ id, instances: 1 });
      await eventually(`${id} routed`, async () => (await spread(`${bamboo.http}${id}`, 1)).has(sim.tasks(id)[0]!.id));
    }
    const before = await masterPid();
    // The master's host pid: HAProxy is bamboo's child, whatever pid it has inside.
    const master = childrenOf(hostPid).find((child) => readFileSync(`/proc/${child.pid}/cmdline`, "utf8").includes("haproxy"))!;
    process.kill(master.pid, "SIGKILL");
    await eventually("haproxy restarted", async () => (await masterPid()).restarts > before.restarts, 15_000);
    await eventually("routing back", async () => (await spread(`${bamboo.http}/one`, 1)).has(sim.tasks("/one")[0]!.id), 10_000);
    // The killed master's orphaned worker was reparented to PID 1: the reaper collects it.
    await eventually("no zombie left", async () => zombies().length === 0, 10_000);
  });

  test("SIGHUP, which PID 1 would ignore without a handler, reopens --log FILE after logrotate moved it", async () => {
    renameSync(logFile, `${logFile}.1`);
    process.kill(hostPid, "SIGHUP");
    await eventually("a new log file", async () => existsSync(logFile) && readFileSync(logFile, "utf8").includes("reopened the log file"));
    expect(readFileSync(`${logFile}.1`, "utf8")).toContain("bamboo started");
  });

  test("SIGTERM stops HAProxy first, then bamboo exits 0", async () => {
    const haproxy = childrenOf(hostPid).filter((child) => readFileSync(`/proc/${child.pid}/cmdline`, "utf8").includes("haproxy"));
    expect(haproxy.length).toBeGreaterThan(0);
    process.kill(hostPid, "SIGTERM");
    expect(await bamboo.process.exited).toBe(0);
    for (const { pid } of haproxy) expect(() => process.kill(pid, 0)).toThrow();
    const logs = bamboo.logs();
    expect(logs.indexOf("stopping HAProxy")).toBeLessThan(logs.indexOf("bamboo stopped"));
    hostPid = 0;
  });
});
