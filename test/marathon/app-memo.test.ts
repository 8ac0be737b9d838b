import { expect, test } from "bun:test";
import { AppMemo } from "../../src/marathon/app-memo.ts";
import { app as makeApp } from "../routing/builders.ts";

const app = (id: string) => makeApp({ id });

test("a value is handed out for the object it was set for, not for another object with its id", () => {
  const memo = new AppMemo<number>();
  const first = app("/a");
  memo.set(first, 1);
  expect(memo.get(first)).toBe(1);
  expect(memo.get(app("/a"))).toBeUndefined();
  const changed = app("/a");
  memo.set(changed, 2);
  expect(memo.get(changed)).toBe(2);
  expect(memo.get(first)).toBeUndefined();
  expect(memo.size).toBe(1);
});

test("ids the current list no longer holds are forgotten; nothing is while none was removed", () => {
  const memo = new AppMemo<string>();
  const [a, b, c] = [app("/a"), app("/b"), app("/c")];
  for (const item of [a, b, c]) memo.set(item, item.id);
  memo.keepOnly([a, b, c]);
  expect(memo.size).toBe(3);
  memo.keepOnly([a, c]);
  expect(memo.size).toBe(2);
  expect(memo.get(b)).toBeUndefined();
  expect(memo.get(c)).toBe("/c");
});
