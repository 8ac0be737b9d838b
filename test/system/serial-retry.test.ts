import { describe, expect, test } from "bun:test";
import { SerialRetry, type AfterFailure } from "../../src/system/serial-retry.ts";

/** A step whose runs the test releases one by one. */
function gatedStep(outcomes: ("ok" | "fail")[]) {
  const runs: { release: () => void }[] = [];
  let running = 0;
  let most = 0;
  const step = () =>
    new Promise<void>((resolve, reject) => {
      running += 1;
      most = Math.max(most, running);
      const outcome = outcomes.shift() ?? "ok";
      runs.push({
        release: () => {
          running -= 1;
          if (outcome === "ok") resolve();
          else reject(new Error("failed"));
        },
      });
    });
  return { step, runs, most: () => most };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(1);
  }
}

const BACKOFF = { initialMs: 30, maxMs: 30 };

describe("SerialRetry", () => {
  test("runs one at a time; any number of asks during a run is one run more", async () => {
    const { step, runs, most } = gatedStep([]);
    const serial = new SerialRetry(step, () => "later", BACKOFF);
    serial.request();
    serial.request();
    serial.request();
    expect(runs).toHaveLength(1);
    runs[0]!.release();
    await until(() => runs.length === 2, "the one run more");
    runs[1]!.release();
    await Bun.sleep(10);
    expect(runs).toHaveLength(2);
    expect(most()).toBe(1);
  });

  test.each<[AfterFailure, number]>([
    ["now", 2],
    ["drop", 1],
  ])("after a failure, %s gives %d runs without waiting", async (after, count) => {
    const { step, runs } = gatedStep(["fail"]);
    const failures: number[] = [];
    const serial = new SerialRetry(step, (_error, failed) => (failures.push(failed), after), { initialMs: 10_000, maxMs: 10_000 });
    serial.request();
    runs[0]!.release();
    await Bun.sleep(10);
    runs[1]?.release();
    await Bun.sleep(10);
    expect(runs).toHaveLength(count);
    expect(failures).toEqual([1]);
  });

  test("later runs the step again once the backoff has passed", async () => {
    const { step, runs } = gatedStep(["fail"]);
    const serial = new SerialRetry(step, () => "later", BACKOFF);
    serial.request();
    runs[0]!.release();
    await until(() => runs.length === 2, "the retry after the backoff");
    runs[1]!.release();
  });

  test("asks during the backoff wait for it; cancel forgets the retry, and the next ask runs at once", async () => {
    const { step, runs } = gatedStep(["fail"]);
    const serial = new SerialRetry(step, () => "later", { initialMs: 60_000, maxMs: 60_000 });
    serial.request();
    runs[0]!.release();
    await Bun.sleep(5);
    serial.request();
    expect(runs).toHaveLength(1);
    serial.cancel();
    serial.request();
    expect(runs).toHaveLength(2);
    runs[1]!.release();
  });
});
