import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { HEAP_GROWTH_OPTIONS, heapGrowthExec } from "../../src/system/heap-growth.ts";
import { startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

const EXECUTABLE = "/usr/local/bin/bamboo";
const COMPILED_ARGV = ["bun", "/$bunfs/root/bamboo", "serve", "--log", "/var/log/bamboo.log"];

describe("heapGrowthExec", () => {
  test("the executable restarts itself with the same arguments, its environment and the heap options", () => {
    const exec = heapGrowthExec({ MARATHON_ENDPOINT: "http://marathon:8080", UNSET: undefined }, EXECUTABLE, COMPILED_ARGV);
    expect(exec).toEqual({
      file: EXECUTABLE,
      args: [EXECUTABLE, "serve", "--log", "/var/log/bamboo.log"],
      env: { MARATHON_ENDPOINT: "http://marathon:8080", ...HEAP_GROWTH_OPTIONS },
    });
  });

  test.each(Object.keys(HEAP_GROWTH_OPTIONS))("an operator who set %s decides: no restart", (name) => {
    expect(heapGrowthExec({ [name]: "2" }, EXECUTABLE, COMPILED_ARGV)).toBeNull();
  });

  test("run from source there is no executable to restart", () => {
    expect(heapGrowthExec({}, "/usr/bin/bun", ["/usr/bin/bun", "/work/src/main.ts", "serve"])).toBeNull();
    expect(heapGrowthExec({}, "/usr/bin/bun", ["/usr/bin/bun"])).toBeNull();
  });
});

/** The environment a running process was exec'd with. */
function environOf(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

describe("dist/bamboo serve", () => {
  let sim: MarathonSim;
  const started: RunningAppliance[] = [];

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/one", instances: 1 });
  });

  afterAll(async () => {
    await Promise.all(started.map((bamboo) => bamboo.stop()));
    await sim?.stop();
  });

  test("serves from the process it was started as, with the heap options set and taken by JSC", async () => {
    // JSC lists the options it took, with their defaults, when asked to.
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BUN_JSC_dumpOptions: "1" } });
    started.push(bamboo);
    await bamboo.waitReady();
    const env = environOf(bamboo.process.pid);
    for (const [name, value] of Object.entries(HEAP_GROWTH_OPTIONS)) {
      expect(env[name]).toBe(value);
      expect(bamboo.logs()).toMatch(new RegExp(`${name.replace("BUN_JSC_", "")}=${value.replace(".", "\\.")}\\b`));
    }
    expect(env.MARATHON_ENDPOINT).toBe(sim.url);
    expect(bamboo.process.exitCode).toBeNull();
  });

  test("an operator's own setting is kept and no other is added", async () => {
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BUN_JSC_heapGrowthMaxIncrease: "1" } });
    started.push(bamboo);
    await bamboo.waitReady();
    const env = environOf(bamboo.process.pid);
    expect(env.BUN_JSC_heapGrowthMaxIncrease).toBe("1");
    expect(env.BUN_JSC_minEdenToOldGenerationRatio).toBeUndefined();
  });
});
