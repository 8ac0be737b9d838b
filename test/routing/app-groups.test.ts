import { describe, expect, test } from "bun:test";
import { AppGroupSorter, appGroups, servesGroups, type GroupFilter } from "../../src/routing/app-groups.ts";
import { app } from "./builders.ts";

describe("appGroups", () => {
  test.each([
    ["no label", {}, []],
    ["marathon-lb's HAPROXY_GROUP", { HAPROXY_GROUP: "external" }, ["external"]],
    ["a comma-separated list, blanks and empty entries dropped", { HAPROXY_GROUP: " external, ,internal " }, ["external", "internal"]],
    ["HAPROXY_0_GROUP overrides HAPROXY_GROUP for the port routed by host and path", { HAPROXY_GROUP: "internal", HAPROXY_0_GROUP: "external" }, ["external"]],
    ["bamboo's BAMBOO_GROUP overrides both", { HAPROXY_GROUP: "internal", HAPROXY_0_GROUP: "external", BAMBOO_GROUP: "edge" }, ["edge"]],
    ["another port's group is not port 0's", { HAPROXY_1_GROUP: "external" }, []],
  ])("%s", (_name, labels, groups) => {
    expect(appGroups(labels)).toEqual(groups);
  });
});

describe("servesGroups", () => {
  const only = (groups: string[], ungrouped: GroupFilter["ungrouped"] = "skip"): GroupFilter => ({ groups, ungrouped });
  test.each([
    ["no BAMBOO_GROUPS: every app", only([]), ["internal"], true],
    ["no BAMBOO_GROUPS: an ungrouped app too", only([]), [], true],
    ["a group it names", only(["external"]), ["internal", "external"], true],
    ["no group it names", only(["external"]), ["internal"], false],
    ["an ungrouped app, skipped by default (as marathon-lb)", only(["external"]), [], false],
    ["an ungrouped app with BAMBOO_UNGROUPED_APPS=serve", only(["external"], "serve"), [], true],
    ["* takes every app", only(["*"]), ["internal"], true],
    ["* takes ungrouped apps too", only(["*"]), [], true],
    ["group names are compared as written", only(["External"]), ["external"], false],
  ])("%s", (_name, filter, groups, served) => {
    expect(servesGroups(filter, groups)).toBe(served);
  });
});

describe("AppGroupSorter", () => {
  const external = app({ id: "/a", labels: { HAPROXY_GROUP: "external" } });
  const internal = app({ id: "/b", labels: { HAPROXY_GROUP: "internal" } });
  const plain = app({ id: "/c" });

  test("sorts apps into served and left to others, in order", () => {
    const sorted = new AppGroupSorter({ groups: ["external"], ungrouped: "skip" }).sort([external, internal, plain]);
    expect(sorted.served).toEqual([external]);
    expect(sorted.elsewhere).toEqual(["/b", "/c"]);
  });

  test("keeps the very list when every app is served, and answers the same list with the same object", () => {
    const apps = [external, internal, plain];
    const all = new AppGroupSorter({ groups: [], ungrouped: "skip" });
    expect(all.sort(apps).served).toBe(apps);
    const some = new AppGroupSorter({ groups: ["external", "internal"], ungrouped: "serve" });
    expect(some.sort(apps).served).toBe(apps);
    expect(some.sort(apps)).toBe(some.sort(apps));
  });
});
