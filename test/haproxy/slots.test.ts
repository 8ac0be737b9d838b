import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isSectionHeader, splitSections } from "../../src/haproxy/config-structure.ts";
import { grownSlotCount, sameStructure, slotConfig, slotCountFor, type SlottedConfig } from "../../src/haproxy/slots.ts";

/** The section split as it reads on paper: line by line. */
function splitByLines(text: string): { header: string; lines: string[] }[] {
  const sections = [{ header: "", lines: [] as string[] }];
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (isSectionHeader(line)) sections.push({ header: line.trim().replace(/\s+/g, " "), lines: [] });
    else sections.at(-1)!.lines.push(line);
  }
  return sections;
}

const configLine = fc.constantFrom(
  "global",
  "  defaults",
  "backend a",
  "backend  b ",
  "frontend f",
  "listen  l",
  "backendx y",
  "    server s 10.0.0.1:80",
  "    server s 10.0.0.2:80 check",
  "    acl a hdr(host) -i a",
  "# backend commented",
  "",
  "\t",
  "http-errors e",
  "cache c\r",
);

describe("splitSections", () => {
  test("finds the sections a line-by-line reading finds", () => {
    fc.assert(
      fc.property(fc.array(configLine, { maxLength: 20 }), fc.boolean(), (lines, trailingNewline) => {
        const text = lines.join("\n") + (trailingNewline ? "\n" : "");
        const sections = splitSections(text).map((raw) => ({
          header: raw.header,
          lines: raw.body === null ? [] : raw.body.split("\n").map((line) => line.trimEnd()),
        }));
        expect(sections).toEqual(splitByLines(text));
        for (const raw of splitSections(text).slice(1)) expect(text.slice(raw.start).trimStart().startsWith(raw.header.split(" ")[0]!)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

/** A config as a template renders it, with apps' servers, rules and comments in several places. */
const aConfig = fc
  .record({
    comment: fc.constantFrom("", "# generated"),
    apps: fc.array(
      fc.record({
        name: fc.constantFrom("a", "b", "c", "d"),
        servers: fc.array(fc.constantFrom("10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3", "10.0.0.4:4"), { maxLength: 10 }),
        rule: fc.constantFrom("", "    acl x hdr(host) -i x"),
        check: fc.boolean(),
      }),
      { maxLength: 4 },
    ),
  })
  .map(({ comment, apps }) => {
    const unique = [...new Map(apps.map((app) => [app.name, app])).values()];
    const lines = [comment, "global", "    maxconn 100", "frontend f", "    bind :80"];
    for (const app of unique) lines.push(`    use_backend ${app.name} if { path_beg /${app.name} }`);
    for (const app of unique) {
      lines.push(`backend ${app.name}`, app.rule);
      for (const address of new Set(app.servers)) lines.push(`    server ${app.name}-${address} ${address}${app.check ? " check" : ""}`);
    }
    return lines.join("\n");
  });

/** Slotting every section again against the previous layout: what the incremental path must equal. */
function slotAll(rendered: string, previous: SlottedConfig | null): SlottedConfig {
  // A previous text of the same length with nothing in common at either end: every section is read again.
  return slotConfig(rendered, previous === null ? null : { ...previous, rendered: ["\u0000".repeat(previous.renderedLength)] });
}

describe("slotConfig reads only what changed", () => {
  test("and gives what reading everything gives", () => {
    fc.assert(
      fc.property(fc.array(aConfig, { minLength: 1, maxLength: 8 }), (configs) => {
        let incremental: SlottedConfig | null = null;
        for (const rendered of configs) {
          const expected = slotAll(rendered, incremental);
          const actual = slotConfig(rendered, incremental);
          expect(actual.text).toBe(expected.text);
          expect([...actual.layout].sort()).toEqual([...expected.layout].sort());
          expect(actual.slotReasons).toEqual(expected.slotReasons);
          expect(actual.starts).toEqual(expected.starts);
          expect(sameStructure(actual, expected)).toBe(true);
          incremental = actual;
        }
      }),
      { numRuns: 300 },
    );
  });

  test("a changed server in one backend reuses every other section as it was", () => {
    const backends = Array.from({ length: 50 }, (_, i) => `backend b${i}\n    server s 10.0.0.1:${1000 + i}`);
    const first = slotConfig(["global", ...backends].join("\n"), null);
    const changed = [...backends];
    changed[20] = "backend b20\n    server s 10.0.0.9:9";
    const second = slotConfig(["global", ...changed].join("\n"), first);
    const reused = second.sections.filter((section, i) => section === first.sections[i]);
    expect(reused).toHaveLength(first.sections.length - 1);
    expect(second.layout.get("backend b20")!.slots[0]).toEqual({ host: "10.0.0.9", port: 9 });
  });
});

describe("slot counts", () => {
  test.each([
    // servers, instances, slots
    [1, 1, 1], // a lone task gets no spare slot: at 10,000 apps one each would break the memory budget
    [0, 1, 1],
    [0, 0, 1], // scaled to zero: one parked slot for the next task
    [2, 2, 4], // twice the instances: a rolling restart with Marathon's defaults fits
    [3, 3, 6],
    [1, 3, 6], // tasks still starting: sized by instances
    [5, 3, 10], // more tasks than instances (a deploy under way): sized by the tasks
    [50, 50, 100],
  ])("%i servers of an app with %i instances get %i slots", (servers, instances, slots) => {
    expect(slotCountFor(servers, instances)).toBe(slots);
  });

  test.each([
    // current, servers, instances, grown
    [1, 2, 1, 2], // a single-instance app's deploy: doubled, once
    [1, 2, 2, 4], // scaled to 2: what 2 instances get
    [4, 5, 5, 10],
    [8, 9, 4, 16], // more tasks than instances: at least double
    [2, 9, 2, 9], // a burst bigger than double: what it needs
  ])("%i slots outgrown by %i servers (%i instances) become %i", (current, servers, instances, grown) => {
    expect(grownSlotCount(current, servers, instances)).toBe(grown);
  });

  test("growing one server at a time reloads a logarithmic number of times", () => {
    let slots = slotCountFor(1, 1);
    let resizes = 0;
    for (let servers = 1; servers <= 1000; servers++) {
      if (servers > slots) {
        slots = grownSlotCount(slots, servers, 1);
        resizes++;
      }
    }
    expect(resizes).toBe(10);
  });

  test("a new backend is sized by its app's instances; a backend that fits keeps its slots", () => {
    const config = (servers: number) => ["global", "backend ::a-cluster", ...Array.from({ length: servers }, (_, i) => `    server s${i} 10.0.0.${i + 1}:80`)].join("\n");
    const instances = (n: number) => (header: string) => (header === "backend ::a-cluster" ? n : undefined);
    const first = slotConfig(config(1), null, instances(3));
    expect(first.layout.get("backend ::a-cluster")!.slots).toHaveLength(6);
    const fits = slotConfig(config(6), first, instances(6));
    expect(fits.layout.get("backend ::a-cluster")!.slots).toHaveLength(6);
    expect(fits.slotReasons).toEqual([]);
    const grown = slotConfig(config(7), fits, instances(7));
    expect(grown.layout.get("backend ::a-cluster")!.slots).toHaveLength(14);
    expect(grown.slotReasons).toEqual(["backend ::a-cluster: 7 servers outgrew 6 slots, now 14"]);
  });
});
