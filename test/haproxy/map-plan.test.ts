import { describe, expect, test } from "bun:test";
import type { MapFile } from "../../src/haproxy/map-files.ts";
import { mapFileText } from "../../src/haproxy/map-files.ts";
import { mapVersionCommands, planMaps } from "../../src/haproxy/plan.ts";
import { addMapEntryCommand, commitMapCommand, prepareMapCommand, preparedMapVersion } from "../../src/haproxy/runtime-api.ts";

const HOSTS = "/data/maps/host.map";
const file = (path: string, ...pairs: [string, string][]): MapFile => ({ path, entries: pairs.map(([key, value]) => ({ key, value })) });

describe("planMaps", () => {
  const running = [file(HOSTS, ["a.example", "::a-cluster"]), file("/data/maps/path-prefix.map", ["/a", "::a-cluster"])];

  test.each<[string, MapFile[], ReturnType<typeof planMaps>]>([
    ["the same files", running, { kind: "none" }],
    ["an entry added: that map is replaced at run time", [file(HOSTS, ["a.example", "::a-cluster"], ["b.example", "::b-cluster"]), running[1]!], { kind: "runtime", maps: [file(HOSTS, ["a.example", "::a-cluster"], ["b.example", "::b-cluster"])] }],
    ["an entry removed", [file(HOSTS), running[1]!], { kind: "runtime", maps: [file(HOSTS)] }],
    ["a map the running config does not name", [...running, file("/data/maps/path.map", ["/x", "::a-cluster"])], { kind: "reload", reasons: ["map /data/maps/path.map added"] }],
    ["a key the CLI would split at ';'", [file(HOSTS, ["/a;b", "::a-cluster"]), running[1]!], { kind: "reload", reasons: [`map ${HOSTS}: a key the runtime API cannot carry`] }],
  ])("%s", (_name, next, expected) => {
    expect(planMaps(running, next)).toEqual(expected);
  });

  test("a map's new version is filled with every entry, then committed", () => {
    expect(mapVersionCommands(3, file(HOSTS, ["a.example", "::a-cluster"]))).toEqual([`add map @3 ${HOSTS} a.example ::a-cluster`, `commit map @3 ${HOSTS}`]);
  });
});

describe("map command builders", () => {
  test("build HAProxy's commands", () => {
    expect(prepareMapCommand(HOSTS)).toBe(`prepare map ${HOSTS}`);
    expect(addMapEntryCommand(0, HOSTS, "a.example", "::a-cluster")).toBe(`add map @0 ${HOSTS} a.example ::a-cluster`);
    expect(commitMapCommand(12, HOSTS)).toBe(`commit map @12 ${HOSTS}`);
    expect(preparedMapVersion("New version created: 7\n")).toBe(7);
  });

  test.each<[string, () => unknown]>([
    ["a key with a blank", () => addMapEntryCommand(1, HOSTS, "a b", "::a-cluster")],
    ["a key with ';'", () => addMapEntryCommand(1, HOSTS, "a;b", "::a-cluster")],
    ["a value with a newline", () => addMapEntryCommand(1, HOSTS, "a", "::a\nshow info")],
    ["a relative map path", () => prepareMapCommand("host.map")],
    ["a negative version", () => commitMapCommand(-1, HOSTS)],
    ["an unexpected prepare reply", () => preparedMapVersion("Unknown command")],
  ])("refuse %s", (_name, build) => {
    expect(build).toThrow(RangeError);
  });
});

test("a map file has one 'key value' line per entry, in order", () => {
  expect(mapFileText(file(HOSTS, ["b.example", "::b-cluster"], ["a.example", "::a-cluster"]).entries)).toBe("b.example ::b-cluster\na.example ::a-cluster\n");
});
