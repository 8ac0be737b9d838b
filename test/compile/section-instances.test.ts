import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { instancesOfSection, SectionInstances } from "../../src/compile/section-instances.ts";
import type { App } from "../../src/marathon/types.ts";

const app = (id: string, instances: number) => ({ id, instances }) as App;

describe("instancesOfSection", () => {
  const byEscapedId = new Map([
    ["::a", 3],
    ["::a::b", 5],
    ["::web.v2", 2],
  ]);

  test.each([
    ["backend ::a-cluster", 3],
    ["backend ::a::b-cluster", 5], // the longest id, not /a's
    ["listen ::a::b-cluster-tcp", 5],
    ["backend ::web.v2-cluster", 2],
    ["backend ::a", 3],
    ["backend ::ab-cluster", undefined], // not a whole name
    ["backend ::web-cluster", undefined],
    ["frontend http-in", undefined],
    ["global", undefined],
  ])("%s → %p", (header, instances) => {
    expect(instancesOfSection(byEscapedId, header)).toBe(instances);
  });
});

describe("SectionInstances", () => {
  test("kept up to date from list to list gives what a fresh index gives", () => {
    const anApp = fc.record({ id: fc.constantFrom("/a", "/b", "/c", "/d", "/e"), instances: fc.nat(5) });
    const aList = fc.uniqueArray(anApp, { selector: (a) => a.id, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(aList, { minLength: 1, maxLength: 6 }), fc.boolean(), (lists, reuse) => {
        const kept = new SectionInstances();
        let previous: App[] = [];
        for (const list of lists) {
          // Apps equal to one in the previous list at the same place keep its object, as the reconciler does.
          const apps = list.map((a, i) => (reuse && previous[i]?.id === a.id && previous[i]!.instances === a.instances ? previous[i]! : app(a.id, a.instances)));
          const of = kept.of(apps);
          const fresh = new SectionInstances().of(apps);
          for (const id of ["/a", "/b", "/c", "/d", "/e"]) expect(of(`backend :${id.replace("/", ":")}-cluster`)).toBe(fresh(`backend :${id.replace("/", ":")}-cluster`));
          previous = apps;
        }
      }),
      { numRuns: 300 },
    );
  });
});
