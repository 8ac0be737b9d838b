import { heapStats } from "bun:jsc";
import { expect, test } from "bun:test";
import { detachedString, flatString } from "../../src/system/flat-string.ts";

const COUNT = 5_000;

/** A server line built the way a template renders one: a dozen parts joined with +. */
function line(i: number): string {
  let text = "    server ::group::app" + i + "-" + "10.0.0." + (i % 250) + "-" + (31000 + i) + " ";
  text += "10.0.0." + (i % 250) + ":" + (31000 + i);
  return text;
}

/** Strings alive after a full collection while `kept` holds COUNT lines. */
function stringsKept(make: (i: number) => string): number {
  Bun.gc(true);
  const before = heapStats().objectTypeCounts.string ?? 0;
  const kept = Array.from({ length: COUNT }, (_, i) => make(i));
  Bun.gc(true);
  const after = heapStats().objectTypeCounts.string ?? 0;
  expect(kept.length).toBe(COUNT);
  return after - before;
}

test("a flattened string no longer keeps its parts alive", () => {
  const asBuilt = stringsKept(line);
  const flattened = stringsKept((i) => flatString(line(i)));
  // Built: the line and its parts (several strings each); flattened: the line alone.
  expect(asBuilt).toBeGreaterThan(4 * COUNT);
  expect(flattened).toBeLessThan(1.5 * COUNT);
});

test("flattening keeps the text", () => {
  expect(flatString(line(7))).toBe("    server ::group::app7-10.0.0.7-31007 10.0.0.7:31007");
  expect(flatString("")).toBe("");
});

/** Heap bytes per kept string after a full collection. */
function bytesKeptEach(make: (i: number) => string): number {
  Bun.gc(true);
  const before = heapStats().heapSize;
  const kept = Array.from({ length: COUNT }, (_, i) => make(i));
  Bun.gc(true);
  const after = heapStats().heapSize;
  expect(kept.length).toBe(COUNT);
  return (after - before) / COUNT;
}

/** A backend's name cut from a long line of HAProxy's answer, as reading the answer cuts it. */
function nameOf(i: number): string {
  const line = `::group::app${i}-cluster,BACKEND,0,0,0,0,1000,0,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,1,0,,1,4,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,0,0,0,0,0,0,0,0,0,0,${"x".repeat(200)}`;
  return line.slice(0, line.indexOf(","));
}

test("a detached slice no longer keeps the string it was cut from alive", () => {
  const sliced = bytesKeptEach(nameOf);
  const detached = bytesKeptEach((i) => detachedString(nameOf(i)));
  // Sliced: the line (over 250 bytes) stays alive with each name; detached: the name alone.
  expect(sliced).toBeGreaterThan(250);
  expect(detached).toBeLessThan(100);
});

test("detaching keeps the text", () => {
  for (const text of ["", "a", "::web-cluster", "ünïcödé-backend", "😀.example"]) expect(detachedString(text)).toBe(text);
});
