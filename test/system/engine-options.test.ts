import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ENGINE_OPTIONS, engineOptionsExec } from "../../src/system/engine-options.ts";
import { startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

const EXECUTABLE = "/usr/local/bin/bamboo";
const COMPILED_ARGV = ["bun", "/$bunfs/root/bamboo", "serve", "--log", "/var/log/bamboo.log"];

describe("engineOptionsExec", () => {
  test("the executable restarts itself with the same arguments, its environment and the engine options", () => {
    const exec = engineOptionsExec({ MARATHON_ENDPOINT: "http://marathon:8080", UNSET: undefined }, EXECUTABLE, COMPILED_ARGV);
    expect(exec).toEqual({
      file: EXECUTABLE,
      args: [EXECUTABLE, "serve", "--log", "/var/log/bamboo.log"],
      env: { MARATHON_ENDPOINT: "http://marathon:8080", ...ENGINE_OPTIONS },
    });
  });

  test.each(Object.keys(ENGINE_OPTIONS))("an operator who set %s decides: no restart", (name) => {
    expect(engineOptionsExec({ [name]: "2" }, EXECUTABLE, COMPILED_ARGV)).toBeNull();
  });

  test("run from source there is no executable to restart", () => {
    expect(engineOptionsExec({}, "/usr/bin/bun", ["/usr/bin/bun", "/work/src/main.ts", "serve"])).toBeNull();
    expect(engineOptionsExec({}, "/usr/bin/bun", ["/usr/bin/bun"])).toBeNull();
  });
});

/** How JSC's option dump writes each option's value: a boolean set with 0 reads `false`. */
const DUMPED: Readonly<Record<string, string>> = {
  BUN_JSC_heapGrowthMaxIncrease: "1",
  BUN_JSC_minEdenToOldGenerationRatio: "0\\.05",
  BUN_JSC_useFTLJIT: "false",
};

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

  test("serves from the process it was started as, with the engine options set and taken by JSC", async () => {
    // JSC lists the options it took, with their defaults, when asked to.
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BUN_JSC_dumpOptions: "1" } });
    started.push(bamboo);
    await bamboo.waitReady();
    const env = environOf(bamboo.process.pid);
    expect(Object.keys(DUMPED).sort()).toEqual(Object.keys(ENGINE_OPTIONS).sort());
    for (const [name, value] of Object.entries(ENGINE_OPTIONS)) {
      expect(env[name]).toBe(value);
      expect(bamboo.logs()).toMatch(new RegExp(`\\b${name.replace("BUN_JSC_", "")}=${DUMPED[name]}\\b`));
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
    expect(env.BUN_JSC_useFTLJIT).toBeUndefined();
  });
});
