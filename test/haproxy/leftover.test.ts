import { afterEach, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { isMasterOf, stopSteps } from "../../src/haproxy/leftover.ts";
import { MasterCli } from "../../src/haproxy/master-cli.ts";
import { parentDeathPrefix } from "../../src/system/parent-death.ts";
import { get, HAPROXY_BIN, haproxyEnv, processAlive, waitFor, type HAProxyEnv } from "../support/haproxy-env.ts";

describe("isMasterOf", () => {
  const socket = "/var/lib/bamboo/haproxy-master.sock";
  const cases: [string, string[], boolean][] = [
    ["bamboo's command line", ["haproxy", "-W", "-db", "-S", `${socket},level,admin`, "-f", "/var/lib/bamboo/haproxy.cfg", "-p", "/var/lib/bamboo/haproxy.pid"], true],
    ["a socket without options", ["/usr/sbin/haproxy", "-W", "-S", socket, "-f", "x.cfg"], true],
    ["systemd's master-worker flag", ["haproxy", "-Ws", "-S", socket], true],
    ["another data directory", ["haproxy", "-W", "-S", "/srv/other/haproxy-master.sock,level,admin"], false],
    ["a socket whose name only starts like ours", ["haproxy", "-W", "-S", `${socket}.old`], false],
    ["not master-worker", ["haproxy", "-S", socket], false],
    ["the path as some other argument", ["vim", "-W", socket], false],
    ["a recycled pid: an unrelated process", ["sleep", "60"], false],
    ["a kernel thread (empty command line)", [], false],
  ];
  for (const [name, argv, expected] of cases) test(name, () => expect(isMasterOf(argv, socket)).toBe(expected));
});

describe("stopSteps", () => {
  test("graceful: soft stop, then SIGTERM after hard-stop-after, then SIGKILL", () => {
    expect(stopSteps(30_000, false)).toEqual([
      ["SIGUSR1", 30_000],
      ["SIGTERM", 5_000],
      ["SIGKILL", 5_000],
    ]);
  });
  test("now: starts at SIGTERM", () => {
    expect(stopSteps(30_000, true)).toEqual([
      ["SIGTERM", 5_000],
      ["SIGKILL", 5_000],
    ]);
  });
});

let env: HAProxyEnv | undefined;
let strays: Subprocess[] = [];
afterEach(async () => {
  await env?.close();
  env = undefined;
  for (const stray of strays) stray.kill("SIGKILL");
  strays = [];
});

/** An HAProxy on the env's files, started the way bamboo starts one, but by hand: what an earlier run leaves. */
async function startLeftover(at: HAProxyEnv): Promise<{ masterPid: number }> {
  // setpriv: should this test process die, its stand-in leftover goes too instead of leaking.
  const proc = Bun.spawn([...(parentDeathPrefix("SIGKILL") ?? []), HAPROXY_BIN, "-W", "-db", "-S", `${at.masterSocket},level,admin`, "-f", at.configPath, "-p", join(at.dir, "haproxy.pid")], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  strays.push(proc);
  // Up as a long-running one is: serving, and its master past startup (a soft stop sent
  // while the master is still starting can be lost; bamboo then escalates to SIGTERM).
  await waitFor(async () => (await get(at.frontendPort).catch(() => null))?.status === 200, "the leftover to serve");
  await waitFor(() => new MasterCli(at.masterSocket).showProc().catch(() => null), "the leftover's master CLI");
  return { masterPid: proc.pid };
}

describe("an HAProxy left on the same files", () => {
  test("is found, keeps serving until ours serves, then is retired; ours reloads normally afterwards", async () => {
    env = await haproxyEnv(["old", "new"]);
    await env.writeConfig([{ name: "old", port: env.backends.get("old")! }]);
    const { masterPid } = await startLeftover(env);
    await env.writeConfig([{ name: "new", port: env.backends.get("new")! }]);

    const found = await env.supervisor.findLeftover();
    expect(found.masters.map((master) => master.pid)).toEqual([masterPid]);
    expect(found.sources).toEqual(["pid file", "master socket"]);
    expect(found.workers).toHaveLength(1);
    expect(env.supervisor.state().leftover).toMatchObject({ pids: [masterPid], action: "found", signal: null });

    await env.supervisor.start();
    await waitFor(() => env!.supervisor.state().leftover?.action === "retired", "the leftover to be retired");
    expect(env.supervisor.state().leftover).toMatchObject({ pids: [masterPid], signal: "SIGUSR1" });
    expect(await processAlive(masterPid)).toBe(false);
    expect(await processAlive(found.workers[0]!)).toBe(false);
    for (let i = 0; i < 20; i++) expect((await get(env.frontendPort)).body).toBe("new");
    // The leftover's exit must not take the socket paths ours now answers on.
    expect((await env.supervisor.reload()).ok).toBe(true);
  });

  test("a pid file naming some other process (a recycled pid) is ignored and that process left alone", async () => {
    env = await haproxyEnv(["hello"]);
    const unrelated = Bun.spawn(["sleep", "60"], { stdin: "ignore" });
    strays.push(unrelated);
    await writeFile(join(env.dir, "haproxy.pid"), `${unrelated.pid}\n`);
    expect((await env.supervisor.findLeftover()).masters).toEqual([]);
    await env.supervisor.start();
    await env.supervisor.stop();
    expect(env.supervisor.state().leftover).toBeNull();
    expect(await processAlive(unrelated.pid)).toBe(true);
  });

  test("a stop before ours ever started retires it too", async () => {
    env = await haproxyEnv(["hello"]);
    const { masterPid } = await startLeftover(env);
    await env.supervisor.stop();
    expect(await processAlive(masterPid)).toBe(false);
    expect(env.supervisor.state().leftover).toMatchObject({ pids: [masterPid], action: "retired", signal: "SIGUSR1" });
  });
});
