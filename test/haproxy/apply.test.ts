import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigApplier, type HAProxyProcess, type RuntimeApi } from "../../src/haproxy/apply.ts";
import { slotConfig } from "../../src/haproxy/slots.ts";
import { silentLogger } from "../../src/system/log.ts";
import { HAPROXY_BIN } from "../support/haproxy-env.ts";

const dir = await mkdtemp(join(tmpdir(), "bamboo-apply-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A rendered config with one backend and its servers, valid for `haproxy -c`. */
function rendered(servers: string[], extra = ""): string {
  return [
    "defaults",
    "    mode http",
    "    timeout connect 1s",
    "    timeout client 1s",
    "    timeout server 1s",
    "frontend f",
    "    bind 127.0.0.1:1",
    extra,
    "    default_backend b",
    "backend b",
    ...servers.map((address, i) => `    server s${i} ${address}`),
    "",
  ].join("\n");
}

/** HAProxy's process and runtime API as the applier sees them, recording what it was asked. */
function fakes() {
  const calls: string[] = [];
  let running = false;
  let failRuntime = false;
  const process: HAProxyProcess = {
    start: async () => {
      running = true;
      calls.push("start");
    },
    reload: async () => {
      calls.push("reload");
      return { ok: true, durationMs: 1 };
    },
    isRunning: () => running,
  };
  const runtime: RuntimeApi = {
    run: async (commands) => {
      if (failRuntime) throw new Error("connection refused");
      calls.push(...commands);
    },
    send: async () => "1\n# be_id be_name srv_id srv_name srv_addr srv_port\n",
  };
  return { calls, process, runtime, failRuntimeApi: () => (failRuntime = true) };
}

let files = 0;
function setup() {
  const fake = fakes();
  const configPath = join(dir, `haproxy-${++files}.cfg`);
  const applier = new ConfigApplier({
    bin: HAPROXY_BIN,
    configPath,
    serverStatePath: join(dir, `state-${files}`),
    process: fake.process,
    runtime: fake.runtime,
    reloadIntervalMs: 0,
    log: silentLogger,
  });
  // The pipeline gives the applier configs slotted against the one it runs.
  const apply = (text: string, reasons: readonly string[]) => applier.apply(slotConfig(text, applier.running()), reasons);
  return { ...fake, applier, apply, onDisk: () => Bun.file(configPath).text() };
}

describe("ConfigApplier", () => {
  test("starts HAProxy with the first config, written to disk first", async () => {
    const { apply, calls, onDisk } = setup();
    expect(await apply(rendered(["10.0.0.1:80"]), ["first"])).toEqual({ kind: "started" });
    expect(calls).toEqual(["start"]);
    expect(await onDisk()).toContain("server slot1 10.0.0.1:80");
  });

  test("a task change goes through the runtime API and the file follows", async () => {
    const { applier, apply, calls, onDisk } = setup();
    // Two tasks get four slots (a lone task gets no spare one: haproxy/slots.ts).
    await apply(rendered(["10.0.0.1:80", "10.0.0.3:80"]), ["first"]);
    const outcome = await apply(rendered(["10.0.0.1:80", "10.0.0.3:80", "10.0.0.2:80"]), ["task"]);
    expect(outcome).toEqual({ kind: "runtime", operations: 2 });
    expect(calls.slice(1)).toEqual(["set server b/slot3 addr 10.0.0.2 port 80", "set server b/slot3 state ready"]);
    await applier.settled();
    expect(await onDisk()).toContain("server slot3 10.0.0.2:80\n");
    expect(applier.running()!.text).toBe(await onDisk());
  });

  test("the same config again changes nothing", async () => {
    const { apply, calls } = setup();
    await apply(rendered(["10.0.0.1:80"]), ["first"]);
    expect(await apply(rendered(["10.0.0.1:80"]), ["again"])).toEqual({ kind: "unchanged" });
    expect(calls).toEqual(["start"]);
  });

  test("a structural change is validated and reloaded", async () => {
    const { applier, apply, calls, onDisk } = setup();
    await apply(rendered(["10.0.0.1:80"]), ["first"]);
    expect((await apply(rendered(["10.0.0.1:80"], "    acl x hdr(host) -i x"), ["rule"])).kind).toBe("reloaded");
    expect(calls).toEqual(["start", "reload"]);
    expect(await onDisk()).toContain("acl x hdr(host) -i x");
    expect(applier.status().lastReloadReasons).toEqual(["frontend f changed"]);
  });

  test("after a crash restart the next change reloads, since the file may have lagged behind", async () => {
    const { applier, apply, calls } = setup();
    await apply(rendered(["10.0.0.1:80"]), ["first"]);
    applier.restarted();
    expect((await apply(rendered(["10.0.0.1:80", "10.0.0.2:80"]), ["task"])).kind).toBe("reloaded");
    expect(applier.status().lastReloadReasons).toEqual(["haproxy restarted after a crash: reloading the current config"]);
    // Once reloaded, churn goes back to the runtime API.
    expect((await apply(rendered(["10.0.0.2:80"]), ["task"])).kind).toBe("runtime");
    expect(calls.filter((call) => call === "reload")).toHaveLength(1);
  });

  test("a runtime API failure falls back to a reload", async () => {
    const { applier, apply, calls, failRuntimeApi } = setup();
    await apply(rendered(["10.0.0.1:80"]), ["first"]);
    failRuntimeApi();
    expect((await apply(rendered(["10.0.0.3:80"]), ["task"])).kind).toBe("reloaded");
    expect(calls).toEqual(["start", "reload"]);
    expect(applier.status().lastReloadReasons[0]).toStartWith("runtime API failed: connection refused");
  });

  test("an invalid config is refused and the running one stays on disk", async () => {
    const { apply, onDisk } = setup();
    await apply(rendered(["10.0.0.1:80"]), ["first"]);
    const before = await onDisk();
    const outcome = await apply(rendered(["10.0.0.1:80"], "    bogus_keyword"), ["rule"]);
    expect(outcome.kind).toBe("invalid");
    expect(await onDisk()).toBe(before);
  });
});
