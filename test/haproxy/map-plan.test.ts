import { describe, expect, test } from "bun:test";
import type { MapFile } from "../../src/haproxy/map-files.ts";
import { mapFileText } from "../../src/haproxy/map-files.ts";
import { mapVersionCommands, planMaps } from "../../src/haproxy/plan.ts";
import { addMapEntriesCommands, addMapEntryCommand, chunkCommands, commitMapCommand, deleteMapEntryCommand, prepareMapCommand, preparedMapVersion, setMapEntryCommand } from "../../src/haproxy/runtime-api.ts";

const HOSTS = "/data/maps/host.map";
const file = (path: string, ...pairs: [string, string][]): MapFile => ({ path, entries: pairs.map(([key, value]) => ({ key, value })) });

describe("planMaps", () => {
  const running = [file(HOSTS, ["a.example", "::a-cluster"]), file("/data/maps/path-prefix.map", ["/a", "::a-cluster"])];
  const withB = file(HOSTS, ["a.example", "::a-cluster"], ["b.example", "::b-cluster"]);
  const many = (count: number, value: string) => file(HOSTS, ...Array.from({ length: count }, (_, i): [string, string] => [`h${i}.example`, value]));

  test.each<[string, MapFile[], ReturnType<typeof planMaps>]>([
    ["the same files", running, { kind: "none" }],
    ["an entry added: one key edit in the live map", [withB, running[1]!], { kind: "runtime", edits: [`add map ${HOSTS} b.example ::b-cluster`], replace: [], changed: [withB] }],
    ["an entry removed", [file(HOSTS), running[1]!], { kind: "runtime", edits: [`del map ${HOSTS} a.example`], replace: [], changed: [file(HOSTS)] }],
    ["a value changed", [file(HOSTS, ["a.example", "::z-cluster"]), running[1]!], { kind: "runtime", edits: [`set map ${HOSTS} a.example ::z-cluster`], replace: [], changed: [file(HOSTS, ["a.example", "::z-cluster"])] }],
    [
      "a rule moved to another key: the new key is added before the old one goes, in every map",
      [file(HOSTS, ["c.example", "::a-cluster"]), file("/data/maps/path-prefix.map", ["/b", "::a-cluster"])],
      {
        kind: "runtime",
        edits: [`add map ${HOSTS} c.example ::a-cluster`, "add map /data/maps/path-prefix.map /b ::a-cluster", `del map ${HOSTS} a.example`, "del map /data/maps/path-prefix.map /a"],
        replace: [],
        changed: [file(HOSTS, ["c.example", "::a-cluster"]), file("/data/maps/path-prefix.map", ["/b", "::a-cluster"])],
      },
    ],
    ["a map the running config does not name", [...running, file("/data/maps/path.map", ["/x", "::a-cluster"])], { kind: "reload", reasons: ["map /data/maps/path.map added"] }],
    ["a key the CLI would split at ';'", [file(HOSTS, ["/a;b", "::a-cluster"]), running[1]!], { kind: "reload", reasons: [`map ${HOSTS}: a key the runtime API cannot carry`] }],
  ])("%s", (_name, next, expected) => {
    expect(planMaps(running, next)).toEqual(expected);
  });

  test.each<[string, MapFile, MapFile]>([
    ["more keys changed than a few edits", many(64, "::x-cluster"), many(65, "::y-cluster")],
    ["a key the running map repeats: HAProxy answers its first entry, an edit would change all", file(HOSTS, ["a.example", "::a-cluster"], ["a.example", "::b-cluster"]), file(HOSTS, ["a.example", "::c-cluster"])],
  ])("the map is replaced whole: %s", (_name, before, after) => {
    expect(planMaps([before], [after])).toEqual({ kind: "runtime", edits: [], replace: [after], changed: [after] });
  });

  test("an entry moved within a long map: only its keys are edited, whatever shifted around it", () => {
    const hostsOf = (...keys: string[]) => file(HOSTS, ...keys.map((key): [string, string] => [key, `::${key[0]}-cluster`]));
    const before = hostsOf("a.example", "b.example", "c.example", "d.example", "e.example");
    const after = hostsOf("a.example", "c.example", "d.example", "x.example", "e.example");
    expect(planMaps([before], [after])).toEqual({ kind: "runtime", edits: [`add map ${HOSTS} x.example ::x-cluster`, `del map ${HOSTS} b.example`], replace: [], changed: [after] });
  });

  test("up to 64 changed keys are edits", () => {
    const plan = planMaps([file(HOSTS)], [many(64, "::x-cluster")]);
    expect(plan.kind === "runtime" && plan.edits.length).toBe(64);
  });

  test("a map's new version is filled with every entry, then committed", () => {
    expect(mapVersionCommands(3, file(HOSTS, ["a.example", "::a-cluster"], ["b.example", "::b-cluster"]))).toEqual([
      `add map @3 ${HOSTS} <<\na.example ::a-cluster\nb.example ::b-cluster\n\n`,
      `commit map @3 ${HOSTS}`,
    ]);
  });

  test("an empty map is one commit of an empty version", () => {
    expect(mapVersionCommands(3, file(HOSTS))).toEqual([`commit map @3 ${HOSTS}`]);
  });
});

describe("map command builders", () => {
  test("payloads are cut to fit the buffer, each sent alone, and together hold every entry in order", () => {
    const entries = Array.from({ length: 500 }, (_, i) => ({ key: `/app-${i}`, value: `::app-${i}-cluster` }));
    const commands = addMapEntriesCommands(2, HOSTS, entries, 1_000);
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) expect(Buffer.byteLength(command) + 1).toBeLessThanOrEqual(1_000);
    const lines = commands.flatMap((command) => command.split("\n").slice(1, -2));
    expect(lines).toEqual(entries.map((entry) => `${entry.key} ${entry.value}`));
    expect(chunkCommands(["show info", ...commands.slice(0, 2), "show stat"], 1_000).map((batch) => batch.length)).toEqual([1, 1, 1, 1]);
  });

  test("build HAProxy's commands", () => {
    expect(prepareMapCommand(HOSTS)).toBe(`prepare map ${HOSTS}`);
    expect(addMapEntriesCommands(0, HOSTS, [{ key: "a.example", value: "::a-cluster" }])).toEqual([`add map @0 ${HOSTS} <<\na.example ::a-cluster\n\n`]);
    expect(commitMapCommand(12, HOSTS)).toBe(`commit map @12 ${HOSTS}`);
    expect(preparedMapVersion("New version created: 7\n")).toBe(7);
    expect(addMapEntryCommand(HOSTS, "a.example", "::a-cluster")).toBe(`add map ${HOSTS} a.example ::a-cluster`);
    expect(setMapEntryCommand(HOSTS, "a.example", "::a-cluster")).toBe(`set map ${HOSTS} a.example ::a-cluster`);
    expect(deleteMapEntryCommand(HOSTS, "a.example")).toBe(`del map ${HOSTS} a.example`);
  });

  test.each<[string, () => unknown]>([
    ["a key with a blank", () => addMapEntriesCommands(1, HOSTS, [{ key: "a b", value: "::a-cluster" }])],
    ["a key with ';'", () => addMapEntriesCommands(1, HOSTS, [{ key: "a;b", value: "::a-cluster" }])],
    ["a value with a newline", () => addMapEntriesCommands(1, HOSTS, [{ key: "a", value: "::a\nshow info" }])],
    ["an empty key, which would end the payload", () => addMapEntriesCommands(1, HOSTS, [{ key: "", value: "::a-cluster" }])],
    ["a relative map path", () => prepareMapCommand("host.map")],
    ["a negative version", () => commitMapCommand(-1, HOSTS)],
    ["an unexpected prepare reply", () => preparedMapVersion("Unknown command")],
    ["a live key starting with '#', which set and del read as a reference", () => deleteMapEntryCommand(HOSTS, "#1")],
    ["a live key with a blank", () => setMapEntryCommand(HOSTS, "a b", "::a-cluster")],
    ["a live value with ';'", () => addMapEntryCommand(HOSTS, "a", "::a;show info")],
  ])("refuse %s", (_name, build) => {
    expect(build).toThrow(RangeError);
  });
});

test("a map file has one 'key value' line per entry, in order", () => {
  expect(mapFileText(file(HOSTS, ["b.example", "::b-cluster"], ["a.example", "::a-cluster"]).entries)).toBe("b.example ::b-cluster\na.example ::a-cluster\n");
});
