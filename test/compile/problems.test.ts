import { expect, test } from "bun:test";
import { newProblems } from "../../src/compile/problems.ts";

const a = { id: "/a", message: "task left out" };
const b = { id: "/b", message: "rule not routed" };

test.each([
  ["none before: all are new", [], [a, b], [a, b]],
  ["the same again: none is new", [a, b], [{ ...a }, { ...b }], []],
  ["a changed message is new", [a], [{ ...a, message: "other" }], [{ ...a, message: "other" }]],
  ["one gone, one added", [a], [b], [b]],
] as const)("%s", (_name, before, next, expected) => {
  expect(newProblems(before, next)).toEqual([...expected]);
});
