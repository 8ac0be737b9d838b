import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RuntimeApiError } from "../../src/haproxy/errors.ts";
import { RuntimeApi, setServerAddrCommand, setServerStateCommand, type ServerAdminState } from "../../src/haproxy/runtime-api.ts";
import { serverViewsFromState } from "../../src/haproxy/server-view.ts";
import { get, haproxyEnv, waitFor, type HAProxyEnv } from "../support/haproxy-env.ts";

let env: HAProxyEnv;
let api: RuntimeApi;

beforeAll(async () => {
  env = await haproxyEnv(["red", "blue"]);
  // One live slot on "red" and a parked slot in maintenance, as the slot allocator leaves them.
  await env.writeConfig([
    { name: "slot_1", port: env.backends.get("red")! },
    { name: "slot_2", port: 1, disabled: true },
  ]);
  await env.supervisor.start();
  api = new RuntimeApi(env.statsSocket);
});

afterAll(async () => {
  await env.close();
});

/** HAProxy's state of each server by address, as the UI reads it. */
const views = () => api.send("show servers state").then((dump) => serverViewsFromState(dump));
const setState = (server: string, state: ServerAdminState) => api.run([setServerStateCommand("app", server, state)]);

async function bodies(count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add((await get(env.frontendPort)).body);
  return seen;
}

describe("RuntimeApi against the real HAProxy", () => {
  test("set server addr and state move traffic without a reload", async () => {
    const workerPid = env.supervisor.state().workerPid;
    expect(await bodies(4)).toEqual(new Set(["red"]));

    await api.run([
      setServerAddrCommand("app", "slot_2", "127.0.0.1", env.backends.get("blue")!),
      setServerStateCommand("app", "slot_2", "ready"),
      setServerStateCommand("app", "slot_1", "maint"),
    ]);
    expect(await waitFor(async () => (await bodies(4)).has("blue"), "traffic on the filled slot")).toBe(true);
    expect(await bodies(4)).toEqual(new Set(["blue"]));

    const states = await views();
    expect(states.get(`127.0.0.1:${env.backends.get("blue")!}`)).toBe("UP");
    expect(states.get(`127.0.0.1:${env.backends.get("red")!}`)).toBe("MAINT");
    expect(env.supervisor.state().workerPid).toBe(workerPid);
  });

  test("drain is reported as drain", async () => {
    await setState("slot_1", "drain");
    expect((await views()).get(`127.0.0.1:${env.backends.get("red")!}`)).toBe("DRAIN");
  });

  test("batched commands run in order, one reply each, across several connections", async () => {
    const blue = env.backends.get("blue")!;
    const red = env.backends.get("red")!;
    const commands = Array.from({ length: 300 }, (_, i) => `set server app/slot_1 addr 127.0.0.1 port ${i % 2 === 0 ? blue : red}`);
    commands.push("set server app/slot_1 state ready");
    const replies = await new RuntimeApi(env.statsSocket, { maxBatchBytes: 2_000 }).sendBatch(commands);
    expect(replies).toHaveLength(commands.length);
    expect((await views()).get(`127.0.0.1:${red}`)).toBe("UP");
  });

  test("refusals become RuntimeApiError with the command and HAProxy's reply", async () => {
    const error = await setState("missing", "ready").then(() => null, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(RuntimeApiError);
    expect(error).toMatchObject({ command: "set server app/missing state ready" });
    expect((error as RuntimeApiError).reply).toContain("No such server.");
    await expect(api.send("set server nobackend/slot_1 state ready")).rejects.toThrow("No such backend.");
    await expect(api.run(["set server app/slot_1 state ready", "set server app/slot_9 state ready"])).rejects.toThrow(
      "set server app/slot_9 state ready",
    );
  });

  test("HAProxy's view of each server reads from show servers state", async () => {
    const live = `127.0.0.1:${env.backends.get("red")!}`;
    expect((await views()).get(live)).toBe("UP");
    await setState("slot_1", "drain");
    expect((await views()).get(live)).toBe("DRAIN");
    await setState("slot_1", "maint");
    expect((await views()).get(live)).toBe("MAINT");
    await setState("slot_1", "ready");
    expect((await views()).get(live)).toBe("UP");
  });
});
