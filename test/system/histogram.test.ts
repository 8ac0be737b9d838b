import { expect, test } from "bun:test";
import { Histogram } from "../../src/system/histogram.ts";

test("observations land in the first bucket whose bound holds them, cumulatively, +Inf last", () => {
  const histogram = new Histogram([0.1, 1]);
  for (const value of [0.05, 0.1, 0.5, 3]) histogram.observe(value);
  expect(histogram.snapshot()).toEqual({ bounds: [0.1, 1], cumulative: [2, 3, 4], sum: 3.65, count: 4 });
});

test("empty, every bucket is 0", () => {
  expect(new Histogram([1]).snapshot()).toEqual({ bounds: [1], cumulative: [0, 0], sum: 0, count: 0 });
});
