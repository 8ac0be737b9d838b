/**
 * bamboo's own logs from the real dist/bamboo: the level and format settings, JSON lines a
 * shipper can parse whole, and `--log FILE` reopened on SIGHUP as logrotate needs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BAMBOO_BIN, eventually, startAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

const ISO_MILLIS_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const LEVELS = ["debug", "info", "warn", "error"];
/** HAProxy's access logs would share stdout; these tests are about bamboo's own lines. */
const OWN_LINES_ONLY = { HAPROXY_ACCESS_LOG: "off" };

const linesOf = (text: string) => text.split("\n").filter((line) => line !== "");
const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");

/** Every line as a parsed JSON object with time, level and message; throws naming the first line that is not. */
function parseJsonLines(text: string): Record<string, unknown>[] {
  return linesOf(text).map((line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`not a JSON line: ${line}`);
    }
    const record = parsed as Record<string, unknown>;
    if (typeof record.time !== "string" || !ISO_MILLIS_UTC.test(record.time) || !LEVELS.includes(record.level as string) || typeof record.message !== "string") {
      throw new Error(`a JSON line without time, level and message: ${line}`);
    }
    return record;
  });
}

let sim: MarathonSim;
let dir: string;
beforeAll(async () => {
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  await sim.deployApp({ id: "/web", instances: 1 });
  dir = await mkdtemp(join(tmpdir(), "bamboo-logs-"));
});
afterAll(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("bamboo's own log lines", () => {
  test("json at debug: every line it writes is a JSON object with time, level and message, debug lines among them", async () => {
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { ...OWN_LINES_ONLY, BAMBOO_LOG_FORMAT: "json", BAMBOO_LOG_LEVEL: "debug" } });
    try {
      await bamboo.waitReady();
      // Growing past the one slot reloads (and old workers' routine lines are debug); shrinking
      // back within the slots goes through the runtime API, which the applier reports at debug.
      await sim.scale("/web", 3);
      await eventually("the reload for more slots", async () => bamboo.logs().includes("haproxy reloaded"), 15_000);
      await sim.scale("/web", 1);
      await eventually("a runtime apply logged at debug", async () => bamboo.logs().includes("applied through the runtime API"), 15_000);
    } finally {
      expect(await bamboo.stop()).toBe(0);
    }
    const records = parseJsonLines(bamboo.logs());
    expect(records.find((r) => r.message === "applied through the runtime API")).toMatchObject({ level: "debug" });
    expect(records.find((r) => typeof r.message === "string" && r.message.startsWith("haproxy: Proxy "))).toMatchObject({ level: "debug" });
    expect(records.some((r) => r.level === "info" && r.message === "bamboo started")).toBe(true);
    expect(records.at(-1)).toMatchObject({ level: "info", message: "bamboo stopped" });
  });

  test("auto on a pipe writes JSON lines; --log FILE gets them too and is reopened on SIGHUP after a move", async () => {
    const file = join(dir, "bamboo.log");
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: OWN_LINES_ONLY, args: ["--log", file] });
    try {
      await bamboo.waitReady();
      await eventually("the start logged in the file", async () => read(file).includes("bamboo started"));
      // The test reads bamboo's stderr through a pipe: not a terminal.
      expect(parseJsonLines(bamboo.logs()).some((r) => r.message === "bamboo started")).toBe(true);

      await rename(file, `${file}.1`);
      bamboo.process.kill("SIGHUP");
      await eventually("a new file with the reopen line", async () => read(file).includes("reopened the log file"));
      expect((await fetch(`${bamboo.api}/status`)).status).toBe(200);
    } finally {
      expect(await bamboo.stop()).toBe(0);
    }
    const moved = parseJsonLines(read(`${file}.1`)).map((r) => r.message);
    const fresh = parseJsonLines(read(file)).map((r) => r.message);
    expect(moved).toContain("bamboo started");
    expect(moved).not.toContain("reopened the log file");
    expect(fresh[0]).toBe("reopened the log file");
    expect(fresh).toContain("bamboo stopped");
    expect(moved).not.toContain("bamboo stopped");
  });

  test("text at warn: text lines, only warnings and errors", async () => {
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { ...OWN_LINES_ONLY, BAMBOO_LOG_FORMAT: "text", BAMBOO_LOG_LEVEL: "warn", BAMBOO_API_READ_AUTH: "false" } });
    try {
      await bamboo.waitReady();
    } finally {
      expect(await bamboo.stop()).toBe(0);
    }
    const lines = linesOf(bamboo.logs());
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (WARN |ERROR) \S/);
    expect(lines.some((line) => line.includes("BAMBOO_API_READ_AUTH=false: anyone who reaches the API can read"))).toBe(true);
  });

  test("an invalid level stops bamboo before it starts, naming the setting and the levels", async () => {
    const proc = Bun.spawn([BAMBOO_BIN], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BAMBOO_LOG_LEVEL: "verbose" }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const stderr = await new Response(proc.stderr).text();
    expect(await proc.exited).toBe(2);
    expect(stderr).toContain("BAMBOO_LOG_LEVEL='verbose': expected one of debug, info, warn, error");
  });
});
