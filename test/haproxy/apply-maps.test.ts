import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigApplier, NO_FILES } from "../../src/haproxy/apply.ts";
import type { MapFile } from "../../src/haproxy/map-files.ts";
import { slotConfig } from "../../src/haproxy/slots.ts";
import { silentLogger } from "../../src/system/log.ts";
import { HAPROXY_BIN } from "../support/haproxy-env.ts";

const dir = await mkdtemp(join(tmpdir(), "bamboo-apply-maps-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const MAP = join(dir, "maps", "host.map");

/** A config that looks `MAP` up, valid for `haproxy -c` once the map file exists. */
function rendered(extra = ""): string {
  return [
    "defaults",
    "    mode http",
    "    timeout connect 1s",
    "    timeout client 1s",
    "    timeout server 1s",
    "frontend f",
    "    bind 127.0.0.1:1",
    `    use_backend %[req.hdr(host),lower,map_str(${MAP})] if { req.hdr(host),lower,map_str(${MAP}) -m found }`,
    extra,
    "backend a",
    "    server s0 10.0.0.1:80",
    "",
  ].join("\n");
}

const hosts = (...keys: string[]): MapFile[] => [{ path: MAP, entries: keys.map((key) => ({ key, value: "a" })) }];

function setup() {
  const calls: string[] = [];
  let running = false;
  const applier = new ConfigApplier({
    bin: HAPROXY_BIN,
    configPath: join(dir, "haproxy.cfg"),
    serverStatePath: join(dir, "state"),
    process: {
      start: async () => {
        running = true;
        calls.push("start");
      },
      reload: async () => {
        calls.push("reload");
        return { ok: true, durationMs: 1 };
      },
      isRunning: () => running,
    },
    runtime: {
      run: async (commands) => void calls.push(...commands),
      send: async (command) => {
        calls.push(command);
        return command.startsWith("prepare map") ? "New version created: 4\n" : "1\n";
      },
    },
    reloadIntervalMs: 0,
    log: silentLogger,
  });
  const apply = (maps: MapFile[], extra = "") => applier.apply(slotConfig(rendered(extra), applier.running()), ["test"], { ...NO_FILES, maps });
  return { calls, applier, apply, onDisk: async () => (await applier.settled(), Bun.file(MAP).text()) };
}

test("the map files are written before HAProxy loads the config that names them", async () => {
  const { apply, calls, onDisk } = setup();
  expect(await apply(hosts("a.example"))).toEqual({ kind: "started" });
  expect(calls).toEqual(["start"]);
  expect(await onDisk()).toBe("a.example a\n");
});

test("a changed key is edited in the live map, and the file follows", async () => {
  const { apply, calls, applier, onDisk } = setup();
  await apply(hosts("a.example"));
  expect(await apply(hosts("b.example"))).toEqual({ kind: "runtime", operations: 2 });
  expect(calls.slice(1)).toEqual([`add map ${MAP} b.example a`, `del map ${MAP} a.example`]);
  expect(await onDisk()).toBe("b.example a\n");
  expect(applier.status().reloads).toBe(0);
});

test("many changed keys: the map is replaced at run time, atomically, and the file follows", async () => {
  const { apply, calls, applier, onDisk } = setup();
  await apply(hosts("a.example"));
  const keys = Array.from({ length: 100 }, (_, i) => `h${i}.example`);
  expect(await apply(hosts("a.example", ...keys))).toEqual({ kind: "runtime", operations: 3 });
  expect(calls.slice(1)).toEqual([`prepare map ${MAP}`, `add map @4 ${MAP} <<\na.example a\n${keys.map((key) => `${key} a\n`).join("")}\n`, `commit map @4 ${MAP}`]);
  expect(await onDisk()).toBe(`a.example a\n${keys.map((key) => `${key} a\n`).join("")}`);
  expect(applier.status().reloads).toBe(0);
});

test("a config HAProxy refuses leaves the running maps on disk", async () => {
  const { apply, onDisk } = setup();
  await apply(hosts("a.example"));
  expect((await apply(hosts("c.example"), "    bogus_keyword")).kind).toBe("invalid");
  expect(await onDisk()).toBe("a.example a\n");
});
