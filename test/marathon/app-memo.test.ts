import { expect, test } from "bun:test";
import { AppMemo } from "../../src/marathon/app-memo.ts";
import { app as makeApp } from "../routing/builders.ts";

const app = (id: string) => makeApp({ id });

test("a value is handed out for the object it was set for, never for another object with its id", () => {
  const memo = new AppMemo<number>();
  const first = app("/a");
  memo.set(first, 1);
  expect(memo.get(first)).toBe(1);
  expect(memo.get(app("/a"))).toBeUndefined();
  const changed = app("/a");
  memo.set(changed, 2);
  expect(memo.get(changed)).toBe(2);
  expect(memo.get(first)).toBe(1);
});

test("objects the current list no longer holds are let go once 64 of them wait, and only those", () => {
  const memo = new AppMemo<string>();
  let current = Array.from({ length: 100 }, (_, i) => app(`/app${i}`));
  for (const item of current) memo.set(item, item.id);
  memo.keepOnly(current);
  expect(memo.size).toBe(100);

  // 63 apps changed (new objects) and one removed: 64 stale objects, not yet looked for at 63.
  const changed = (list: typeof current, from: number, to: number) => list.map((item, i) => (i >= from && i < to ? app(item.id) : item));
  current = changed(current, 0, 63);
  for (const item of current.slice(0, 63)) memo.set(item, `${item.id} again`);
  memo.keepOnly(current);
  expect(memo.size).toBe(163);

  const removed = current[99]!;
  current = current.slice(0, 99);
  memo.keepOnly(current);
  expect(memo.size).toBe(99);
  expect(memo.get(removed)).toBeUndefined();
  expect(memo.get(current[0]!)).toBe("/app0 again");
  expect(memo.get(current[98]!)).toBe("/app98");
});
