import { describe, expect, test } from "bun:test";
import { backoffDelay, jittered } from "../../src/system/backoff.ts";

describe("backoffDelay", () => {
  test.each([
    [0, 0],
    [1, 250],
    [2, 500],
    [4, 2_000],
    [5, 2_000],
    [1_000, 2_000],
  ])("attempt %i waits %i ms", (attempt, delay) => {
    expect(backoffDelay(attempt, { initialMs: 250, maxMs: 2_000 })).toBe(delay);
  });
});

describe("jittered", () => {
  test.each([
    [0, 500],
    [0.5, 750],
    [1, 1_000],
  ])("with a random %d, 1000 ms become %i ms", (random, expected) => {
    expect(jittered(1_000, () => random)).toBe(expected);
  });
});
