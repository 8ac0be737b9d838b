import { describe, expect, test } from "bun:test";
import type { App } from "../../src/marathon/types.ts";
import { mergeFullList, shrinkOf } from "../../src/sync/app-list.ts";
import { app } from "../routing/builders.ts";

const known = (...ids: string[]) => new Map<string, App>(ids.map((id) => [id, app({ id })]));

describe("mergeFullList", () => {
  test.each([
    ["the listed apps replace the known ones", ["/a", "/b"], ["/a", "/c"], [], ["/a", "/c"]],
    ["an unreadable entry keeps its app's last version", ["/a", "/b"], ["/a"], ["/b"], ["/a", "/b"]],
    ["an unreadable entry of a new app adds nothing", ["/a"], ["/a"], ["/new"], ["/a"]],
    ["an entry without a readable id keeps every missing app", ["/a", "/b", "/c"], ["/a"], [""], ["/a", "/b", "/c"]],
  ])("%s", (_name, before, listed, unreadable, expected) => {
    const previous = known(...before);
    const merged = mergeFullList(previous, { apps: listed.map((id) => app({ id })), unreadable });
    expect([...merged.keys()].sort()).toEqual(expected);
    for (const id of unreadable) if (previous.has(id)) expect(merged.get(id)).toBe(previous.get(id)!);
  });
});

describe("shrinkOf", () => {
  const ten = Array.from({ length: 10 }, (_, i) => `/app${i}`);
  test.each([
    ["nothing known yet", [], [], 0.5, null],
    ["nothing removed", ten, ten, 0.5, null],
    ["half removed, at the threshold", ten, ten.slice(5), 0.5, null],
    ["more than half removed", ten, ten.slice(6), 0.5, { from: 10, to: 4 }],
    ["all removed, whatever the threshold", ten, [], 1, { from: 10, to: 0 }],
    ["the only app removed", ["/a"], [], 0.5, { from: 1, to: 0 }],
    ["all replaced by others", ["/a", "/b"], ["/c", "/d"], 0.5, { from: 2, to: 2 }],
  ] as const)("%s", (_name, before, after, above, expected) => {
    expect(shrinkOf(known(...before), known(...after), above)).toEqual(expected);
  });
});
