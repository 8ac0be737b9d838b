import { afterAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../src/haproxy/validate.ts";
import { runBounded } from "../../src/system/bounded-child.ts";
import { statFields } from "../../src/system/proc-table.ts";
import { waitFor } from "../support/haproxy-env.ts";

const dir = await mkdtemp(join(tmpdir(), "bamboo-bounded-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A stand-in `haproxy` that forks a sleeping child, writes both pids, and hangs. */
async function hangingHAProxy(name: string): Promise<{ bin: string; pids: () => Promise<number[]> }> {
  const bin = join(dir, name);
  const pidFile = `${bin}.pids`;
  await writeFile(bin, `#!/bin/sh\nsleep 300 &\necho "$$ $!" > ${pidFile}\necho "[NOTICE] checking"\nsleep 300\n`);
  await chmod(bin, 0o755);
  return { bin, pids: async () => (await readFile(pidFile, "utf8")).trim().split(" ").map(Number) };
}

/** Live members of process group `pgid` (zombies have ended: they only wait to be reaped). */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statFields(await readFile(`/proc/${name}/stat`, "utf8").catch(() => ""));
    if (stat && Number(stat.fields[2]) === pgid && stat.fields[0] !== "Z") members.push(stat.pid);
  }
  return members;
}

describe("runBounded", () => {
  test("collects the output and exit code of a program that ends", async () => {
    const run = await runBounded(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], { timeoutMs: 5_000 });
    expect(run).toMatchObject({ kind: "exited", exitCode: 3 });
    // Two pipes: which line arrives first is up to the scheduler.
    if (run.kind === "exited") expect(run.output.split("\n").sort()).toEqual(["err", "out"]);
  });

  test("a program that cannot be started is reported, not thrown", async () => {
    const run = await runBounded([join(dir, "missing")], { timeoutMs: 5_000 });
    expect(run.kind).toBe("not-started");
    if (run.kind === "not-started") expect(run.message).toContain("ENOENT");
  });

  test("a program that hangs is killed at the deadline with everything it forked", async () => {
    const fake = await hangingHAProxy("hang-direct");
    const started = performance.now();
    const run = await runBounded([fake.bin], { timeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(run).toEqual({ kind: "timed-out", timeoutMs: 300, output: "[NOTICE] checking" });
    const [leader] = await fake.pids();
    await waitFor(async () => (await groupMembers(leader!)).length === 0, "no process of the group to survive", 3_000);
  });
});

test("a hanging haproxy -c is killed with its whole process group, and says it could not run", async () => {
  const fake = await hangingHAProxy("haproxy");
  const verdict = await validateConfig(fake.bin, join(dir, "any.cfg"), { timeoutMs: 300 });
  expect(verdict).toMatchObject({ ok: false, message: `could not run ${fake.bin}: timed out after 300 ms` });
  const [leader, child] = await fake.pids();
  expect(child).toBeGreaterThan(0);
  await waitFor(async () => (await groupMembers(leader!)).length === 0, "no process of the group to survive", 3_000);
});
