import { describe, expect, test } from "bun:test";
import { sectionInstances } from "../../src/compile/section-instances.ts";
import type { App } from "../../src/marathon/types.ts";

const app = (id: string, instances: number) => ({ id, instances }) as App;

describe("sectionInstances", () => {
  const of = sectionInstances([app("/a", 3), app("/a/b", 5), app("/web.v2", 2)]);

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
    expect(of(header)).toBe(instances);
  });
});
