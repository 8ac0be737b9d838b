import { afterEach, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HAProxyError } from "../../src/haproxy/errors.ts";
import { MasterCli } from "../../src/haproxy/master-cli.ts";
import { HAProxySupervisor, haproxyVersion } from "../../src/haproxy/supervisor.ts";
import { spawnWithBun } from "../../src/haproxy/supervisor-process.ts";
import { get, HAPROXY_BIN, haproxyEnv, processAlive, waitFor, type HAProxyEnv } from "../support/haproxy-env.ts";

let env: HAProxyEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe("HAProxySupervisor with the real HAProxy", () => {
  test("starts master and worker, and requests reach the backend", async () => {
    const logged: string[] = [];
    env = await haproxyEnv(["hello"], { log: (level, message) => logged.push(`${level} ${message}`) });
    await env.supervisor.start();
    // HAProxy's own lines reach the log, its severity mapped to ours.
    await waitFor(() => logged.includes("info haproxy: Loading success."), "HAProxy's output in the log");
    const state = env.supervisor.state();
    expect(state).toMatchObject({ status: "running", restarts: 0, reloads: 0 });
    expect(state.masterPid).toBeGreaterThan(0);
    expect(state.workerPid).toBeGreaterThan(0);
    expect(state.version).toStartWith("2.");
    expect(await get(env.frontendPort)).toEqual({ status: 200, body: "hello" });
    expect(env.events.map((event) => event.type)).toEqual(["started"]);
  });

  test("a config HAProxy rejects fails start with HAProxy's own message", async () => {
    env = await haproxyEnv(["hello"], { startTimeoutMs: 5_000 });
    await env.writeConfig(undefined, ["    bogus_keyword here"]);
    const error = await env.supervisor.start().then(() => null, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(HAProxyError);
    expect((error as Error).message).toContain("unknown keyword 'bogus_keyword'");
    expect((error as Error).message).toMatch(/haproxy\.cfg:\d+/);
    expect(env.supervisor.state().status).toBe("failed");
  });

  test("reload keeps the master and brings a new worker that serves the new config", async () => {
    env = await haproxyEnv(["blue", "green"]);
    await env.writeConfig([{ name: "blue", port: env.backends.get("blue")! }]);
    await env.supervisor.start();
    const before = env.supervisor.state();
    expect((await get(env.frontendPort)).body).toBe("blue");

    await env.writeConfig([{ name: "green", port: env.backends.get("green")! }]);
    const result = await env.supervisor.reload();
    expect(result.ok).toBe(true);
    const after = env.supervisor.state();
    expect(after.masterPid).toBe(before.masterPid);
    expect(after.workerPid).not.toBe(before.workerPid);
    if (result.ok) expect(result.workerPid).toBe(after.workerPid!);
    expect(after).toMatchObject({ reloads: 1, failedReloads: 0 });
    expect(after.lastReloadMs).toBeGreaterThanOrEqual(0);
    expect(await waitFor(async () => (await get(env!.frontendPort)).body === "green", "the new worker's backend")).toBe(true);
  });

  test("a reload of a broken file reports HAProxy's reason and the old worker keeps serving", async () => {
    env = await haproxyEnv(["hello"]);
    await env.supervisor.start();
    const before = env.supervisor.state();
    // Written straight to disk, bypassing validation, as a buggy writer would.
    await env.writeConfig(undefined, ["    bogus_keyword here"]);
    const result = await env.supervisor.reload();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/haproxy\.cfg:\d+\] : unknown keyword 'bogus_keyword'/);
    expect(env.supervisor.state()).toMatchObject({ status: "running", workerPid: before.workerPid, failedReloads: 1 });
    expect(await get(env.frontendPort)).toEqual({ status: 200, body: "hello" });

    // A fixed file reloads normally afterwards.
    await env.writeConfig();
    expect((await env.supervisor.reload()).ok).toBe(true);
  });

  test("concurrent reloads run one after the other, each confirmed", async () => {
    env = await haproxyEnv(["hello"]);
    await env.supervisor.start();
    const results = await Promise.all([env.supervisor.reload(), env.supervisor.reload(), env.supervisor.reload()]);
    expect(results.every((result) => result.ok)).toBe(true);
    const pids = results.map((result) => (result.ok ? result.workerPid : 0));
    expect(new Set(pids).size).toBe(3);
    const proc = await new MasterCli(env.masterSocket).showProc();
    expect(proc.master.reloads).toBe(3);
  });

  test("a master killed with SIGKILL is restarted and serves again", async () => {
    env = await haproxyEnv(["hello"]);
    await env.supervisor.start();
    const { masterPid } = env.supervisor.state();
    process.kill(masterPid!, "SIGKILL");
    const restarted = await waitFor(() => env!.events.find((event) => event.type === "restarted"), "a restart");
    expect(restarted).toMatchObject({ type: "restarted", exit: { signal: "SIGKILL" }, restarts: 1 });
    const state = env.supervisor.state();
    expect(state).toMatchObject({ status: "running", restarts: 1 });
    expect(state.masterPid).not.toBe(masterPid);
    expect(env.events.map((event) => event.type)).toEqual(["started", "crashed", "restarted"]);
    expect(await waitFor(async () => (await get(env!.frontendPort)).body === "hello", "service after restart")).toBe(true);
  });

  test("stop is graceful: an in-flight request completes and no HAProxy process is left", async () => {
    env = await haproxyEnv(["hello"]);
    // A backend slow enough that the request is in flight when stop() begins.
    const slow = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: async () => (await Bun.sleep(300), new Response("slow")) });
    try {
      await env.writeConfig([{ name: "slow", port: slow.port ?? 0 }]);
      await env.supervisor.start();
      const { masterPid, workerPid } = env.supervisor.state();
      const inFlight = get(env.frontendPort);
      await waitFor(() => slow.pendingRequests > 0, "the request to reach the backend");
      await env.supervisor.stop();
      expect(await inFlight).toEqual({ status: 200, body: "slow" });
      expect(env.supervisor.state()).toMatchObject({ status: "stopped", masterPid: null, workerPid: null });
      expect(await processAlive(masterPid!)).toBe(false);
      expect(await processAlive(workerPid!)).toBe(false);
      expect(env.events.at(-1)?.type).toBe("stopped");
      expect((await env.supervisor.reload()).ok).toBe(false);
    } finally {
      slow.stop(true);
    }
  });
});

test("haproxyVersion reads the binary's version", async () => {
  expect(await haproxyVersion(HAPROXY_BIN)).toMatch(/^2\.\d+\.\d+/);
});

test("a stale master socket file left by a crash does not stop a fresh start", async () => {
  env = await haproxyEnv(["hello"]);
  await writeFile(env.masterSocket, "");
  await env.supervisor.start();
  expect((await get(env.frontendPort)).body).toBe("hello");
});

test("the spawn function is injectable and gets the master-worker command line", async () => {
  env = await haproxyEnv(["hello"]);
  const seen: (readonly string[])[] = [];
  const supervisor = new HAProxySupervisor({
    bin: HAPROXY_BIN,
    configPath: env.configPath,
    masterSocketPath: env.masterSocket,
    pidFilePath: join(env.dir, "haproxy.pid"),
    hardStopAfterMs: 1_000,
    spawn: (argv) => {
      seen.push(argv);
      return spawnWithBun(argv);
    },
  });
  try {
    await supervisor.start();
    const haproxyArgv = [HAPROXY_BIN, "-W", "-db", "-S", `${env.masterSocket},level,admin`, "-f", env.configPath, "-p", join(env.dir, "haproxy.pid")];
    expect(seen).toEqual([haproxyArgv]);
    // The pid file names the master: the next run finds a leftover by it.
    expect(Number(await Bun.file(join(env.dir, "haproxy.pid")).text())).toBe(supervisor.state().masterPid!);
    const processes = await supervisor.processes();
    expect(processes?.master.pid).toBe(supervisor.state().masterPid!);
    expect(processes?.workers.map((worker) => worker.pid)).toEqual([supervisor.state().workerPid!]);
  } finally {
    await supervisor.stop();
  }
  expect(await supervisor.processes()).toBeNull();
});

const setpriv = Bun.which("setpriv");

test.skipIf(setpriv === null)("with exitWithBamboo, HAProxy is started under setpriv with SIGUSR1 as its parent-death signal", async () => {
  env = await haproxyEnv(["hello"]);
  const seen: (readonly string[])[] = [];
  const supervisor = new HAProxySupervisor({
    bin: HAPROXY_BIN,
    configPath: env.configPath,
    masterSocketPath: env.masterSocket,
    pidFilePath: join(env.dir, "haproxy.pid"),
    exitWithBamboo: true,
    hardStopAfterMs: 1_000,
    spawn: (argv) => {
      seen.push(argv);
      return spawnWithBun(argv);
    },
  });
  try {
    await supervisor.start();
    expect(seen[0]?.slice(0, 5)).toEqual([setpriv!, "--pdeathsig", "SIGUSR1", "--", HAPROXY_BIN]);
    // setpriv execs HAProxy: the pid we spawned is the master's.
    expect((await supervisor.processes())?.master.pid).toBe(supervisor.state().masterPid!);
    expect((await get(env.frontendPort)).body).toBe("hello");
  } finally {
    await supervisor.stop();
  }
});

test("reloads refuse no new connection: requests running through six reloads all succeed", async () => {
  env = await haproxyEnv(["hello"]);
  await env.supervisor.start();
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const load = (async () => {
    while (running) {
      const outcome = await get(env!.frontendPort).catch((error: unknown) => String(error));
      if (typeof outcome !== "string" && outcome.status === 200 && outcome.body === "hello") ok++;
      else failures.push(typeof outcome === "string" ? outcome : `${outcome.status} ${outcome.body}`);
    }
  })();
  for (let i = 0; i < 6; i++) expect((await env.supervisor.reload()).ok).toBe(true);
  running = false;
  await load;
  expect(failures).toEqual([]);
  expect(ok).toBeGreaterThan(6);
}, 30_000);
