import { expect, test } from "bun:test";
import { SignInGuard } from "../../src/http/sign-in-guard.ts";

function guardAt(start = 0) {
  const clock = { now: start };
  const guard = new SignInGuard({ freeFailures: 3, firstPauseMs: 1_000, maxPauseMs: 8_000, windowMs: 60_000, maxAddresses: 2, now: () => clock.now });
  return { guard, clock };
}

test("a few failures are free; then each pauses the address longer, up to the cap", () => {
  const { guard } = guardAt();
  expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => guard.failed("10.0.0.1"))).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 8_000, 8_000]);
  expect(guard.pauseMs("10.0.0.1")).toBe(8_000);
  expect(guard.pauseMs("10.0.0.2")).toBe(0);
});

test("the pause runs out, and failures are forgotten after the window", () => {
  const { guard, clock } = guardAt();
  for (let i = 0; i < 4; i++) guard.failed("10.0.0.1");
  clock.now += 999;
  expect(guard.pauseMs("10.0.0.1")).toBe(1);
  clock.now += 1;
  expect(guard.pauseMs("10.0.0.1")).toBe(0);
  clock.now += 60_001;
  expect(guard.failed("10.0.0.1")).toBe(0);
});

test("it tracks a bounded number of addresses, forgetting the oldest", () => {
  const { guard } = guardAt();
  for (const address of ["a", "b", "c"]) for (let i = 0; i < 4; i++) guard.failed(address);
  expect(guard.pauseMs("a")).toBe(0);
  expect(guard.pauseMs("b")).toBeGreaterThan(0);
  expect(guard.pauseMs("c")).toBeGreaterThan(0);
});
