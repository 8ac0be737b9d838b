import { afterEach, expect, test } from "bun:test";
import { get, haproxyEnv, processAlive, waitFor, type HAProxyEnv } from "../support/haproxy-env.ts";

let env: HAProxyEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

test("a crash while the file on disk is broken retries, backing off, and recovers once it is fixed", async () => {
  env = await haproxyEnv(["hello"], { restartBackoffMs: { initial: 20, max: 100 } });
  await env.supervisor.start();
  await env.writeConfig(undefined, ["    bogus_keyword here"]);
  process.kill(env.supervisor.state().masterPid!, "SIGKILL");

  const failures = await waitFor(
    () => (env!.events.filter((event) => event.type === "restart-failed").length >= 2 ? env!.events : null),
    "two failed restart attempts",
  );
  const failed = failures.find((event) => event.type === "restart-failed");
  expect(failed).toMatchObject({ type: "restart-failed", attempt: 1 });
  if (failed?.type === "restart-failed") expect(failed.message).toContain("unknown keyword 'bogus_keyword'");
  expect(env.supervisor.state().status).toBe("restarting");
  expect(env.supervisor.state().lastError).toContain("bogus_keyword");

  await env.writeConfig();
  await waitFor(() => env!.supervisor.state().status === "running", "the restart after the fix");
  expect(env.supervisor.state().restarts).toBe(1);
  expect(await get(env.frontendPort)).toEqual({ status: 200, body: "hello" });
});

test("stop is bounded by hardStopAfterMs when a request outlasts it", async () => {
  env = await haproxyEnv(["hello"], { hardStopAfterMs: 200 });
  const stuck = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 30, fetch: async () => (await Bun.sleep(20_000), new Response("late")) });
  try {
    await env.writeConfig([{ name: "stuck", port: stuck.port ?? 0 }]);
    await env.supervisor.start();
    const { masterPid, workerPid } = env.supervisor.state();
    const inFlight = get(env.frontendPort).catch((error: unknown) => error);
    await waitFor(() => stuck.pendingRequests > 0, "the request to reach the backend");
    const started = Date.now();
    await env.supervisor.stop();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(5_000);
    expect(await processAlive(masterPid!)).toBe(false);
    expect(await processAlive(workerPid!)).toBe(false);
    await inFlight;
  } finally {
    stuck.stop(true);
  }
});
