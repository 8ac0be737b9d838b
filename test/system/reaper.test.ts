import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parsePidfdInfo, parseStat } from "../../src/system/proc-table.ts";
import { startReaper } from "../../src/system/reaper.ts";

const SCRIPT = join(import.meta.dir, "fixtures", "reaper-pid1.ts");

interface Pid1Report {
  pid: number;
  active: boolean;
  zombies: number;
  reaped: number;
  wrongExitCodes: number;
  children: number;
  spawnSync: number;
}

/** Runs the fixture as PID 1 of a fresh pid namespace, as the appliance runs in a container. */
async function runAsPid1(mode: "reaper" | "no-reaper"): Promise<Pid1Report> {
  const proc = Bun.spawn(["unshare", "--pid", "--fork", "--mount-proc", process.execPath, SCRIPT, mode], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`fixture exited ${code}: ${stderr}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Pid1Report;
}

describe("reaper as PID 1", () => {
  test("without a reaper, orphans stay zombies under PID 1 (what the reaper is for)", async () => {
    const report = await runAsPid1("no-reaper");
    expect(report.pid).toBe(1);
    expect(report.zombies).toBeGreaterThanOrEqual(20);
  }, 30_000);

  test("reaps every orphan and leaves no zombie", async () => {
    const report = await runAsPid1("reaper");
    expect(report).toMatchObject({ pid: 1, active: true, zombies: 0 });
    expect(report.reaped).toBeGreaterThanOrEqual(20);
  }, 30_000);

  test("never takes the exit status of a child Bun spawned, even scanning every millisecond", async () => {
    const report = await runAsPid1("reaper");
    expect(report.children).toBe(200);
    expect(report.wrongExitCodes).toBe(0);
    expect(report.spawnSync).toBe(5);
  }, 30_000);
});

describe("reaper outside PID 1", () => {
  test("does nothing unless forced", () => {
    const reaper = startReaper();
    expect(reaper.active).toBe(false);
    expect(reaper.reaped()).toBe(0);
    reaper.stop();
  });
});

describe("/proc parsing", () => {
  test("reads state and parent after the last parenthesis, whatever the command name", () => {
    expect(parseStat("42 (sleep) Z 1 42 42 0 -1")).toEqual({ pid: 42, state: "Z", ppid: 1 });
    expect(parseStat("7 (a) b) (c) S 3 7 7 0 -1")).toEqual({ pid: 7, state: "S", ppid: 3 });
    expect(parseStat("9 (with space) R 0 0")).toEqual({ pid: 9, state: "R", ppid: 0 });
  });

  test("rejects text that is not a stat line", () => {
    expect(parseStat("")).toBeNull();
    expect(parseStat("garbage")).toBeNull();
    expect(parseStat("12 (x)")).toBeNull();
  });

  test("reads the pid of a pidfd and ignores one already reaped", () => {
    expect(parsePidfdInfo("pos:\t0\nflags:\t02004002\nmnt_id:\t4\nino:\t9160\nPid:\t9159\nNSpid:\t9159\n")).toBe(9159);
    expect(parsePidfdInfo("pos:\t0\nflags:\t02004002\nPid:\t-1\nNSpid:\t-1\n")).toBeNull();
    expect(parsePidfdInfo("pos:\t0\nflags:\t0100002\nmnt_id:\t25\n")).toBeNull();
  });
});
