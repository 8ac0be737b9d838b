import { describe, expect, test } from "bun:test";
import { DEFAULT_RESTART_POLICY, restartDelayMs, type RestartPolicy } from "../../src/haproxy/restart-delay.ts";

describe("restartDelayMs", () => {
  const policy: RestartPolicy = { windowMs: 30_000, immediate: 2, initialMs: 100, maxMs: 2_000 };
  const now = 1_000_000;
  const cases: [string, number[], number][] = [
    ["a first crash restarts at once", [now], 0],
    ["a second crash within the window too", [now - 5_000, now], 0],
    ["the third within the window starts the backoff", [now - 2, now - 1, now], 100],
    ["then it doubles", [now - 3, now - 2, now - 1, now], 200],
    ["up to the cap", Array.from({ length: 12 }, (_, i) => now - i), 2_000],
    ["crashes older than the window do not count", [now - 60_000, now - 45_000, now - 31_000, now], 0],
    ["a loop that went quiet starts over", [now - 40_000, now - 39_000, now - 38_000, now - 37_000, now - 1_000, now], 0],
  ];
  for (const [name, failures, expected] of cases) test(name, () => expect(restartDelayMs(failures, now, policy)).toBe(expected));

  test("the default policy is capped at 2 s", () => {
    expect(restartDelayMs(Array.from({ length: 50 }, () => now), now, DEFAULT_RESTART_POLICY)).toBe(2_000);
  });
});
