/**
 * dist/bamboo started as a user without the rights its defaults need says in one line which
 * setting to change, instead of a raw EACCES or an endless retry (issue 17).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BAMBOO_BIN, freePort } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

const setpriv = Bun.which("setpriv");
/** Dropping to another user needs root and setpriv; elsewhere these are reported as skipped. */
const canDrop = process.getuid?.() === 0 && setpriv !== null;
const NOBODY = "65534";

async function runAsNobody(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = Bun.spawn([setpriv!, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", BAMBOO_BIN], {
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", BAMBOO_BIND: `127.0.0.1:${await freePort()}`, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code: proc.signalCode === null ? code : null, output: stdout + stderr };
}

describe.skipIf(!canDrop)("a first run without the rights the defaults need", () => {
  let sim: MarathonSim;
  let dir: string;
  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/a", instances: 1 });
    dir = await mkdtemp(join(tmpdir(), "bamboo-first-run-"));
    await chmod(dir, 0o777);
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("a data directory it may not write: exit 1 naming BAMBOO_DATA_DIR", async () => {
    const { code, output } = await runAsNobody({ MARATHON_ENDPOINT: sim.url, BAMBOO_DATA_DIR: "/root/bamboo-not-yours", HAPROXY_HTTP_BIND: "127.0.0.1:1" });
    expect(code).toBe(1);
    expect(output).toContain("set BAMBOO_DATA_DIR");
    expect(output).not.toContain("    at ");
  });

  test("port 80 it may not bind: exit 1 naming HAPROXY_HTTP_BIND", async () => {
    const { code, output } = await runAsNobody({ MARATHON_ENDPOINT: sim.url, BAMBOO_DATA_DIR: join(dir, "data"), HAPROXY_HTTP_BIND: "127.0.0.1:80" });
    expect(code).toBe(1);
    expect(output).toContain("Permission denied");
    expect(output).toContain("set HAPROXY_HTTP_BIND");
  });
});
