import { describe, expect, test } from "bun:test";
import type { TrafficPoint } from "../../src/http/ui/api-types.ts";
import { deltaOf, pointOf, sumPoints } from "../../src/traffic/rates.ts";
import { TrafficWindow, type ServerPoint } from "../../src/traffic/window.ts";

const sample = (at: number, apps: Record<string, TrafficPoint>, servers: Record<string, ServerPoint[]> = {}) => ({
  at,
  totals: sumPoints(Object.values(apps)),
  apps: new Map(Object.entries(apps)),
  servers: new Map(Object.entries(servers)),
});

describe("deltaOf", () => {
  test.each([
    ["counts since the last reading", { requests: 10, errors: 1, responseMs: 5 }, { requests: 25, errors: 3, responseMs: 7 }, { requests: 15, errors: 2 }],
    ["a reset counter (a reload) counts from zero", { requests: 100, errors: 9, responseMs: 5 }, { requests: 4, errors: 0, responseMs: 7 }, { requests: 4, errors: 0 }],
    ["new counters (a backend a reload added) count from zero", undefined, { requests: 6, errors: 2, responseMs: null }, { requests: 6, errors: 2 }],
    ["nothing happened", { requests: 6, errors: 2, responseMs: 3 }, { requests: 6, errors: 2, responseMs: 3 }, { requests: 0, errors: 0 }],
  ])("%s", (_name, before, after, expected) => {
    expect(deltaOf(before, after)).toEqual(expected);
  });
});

describe("pointOf and sumPoints", () => {
  test.each([
    ["rates per second", { requests: 50, errors: 5 }, 12, 10, [5, 0.5, 12]],
    ["no response time when nothing was answered", { requests: 0, errors: 0 }, 12, 10, [0, 0, null]],
    ["a zero-length interval gives no rate", { requests: 3, errors: 0 }, 12, 0, [0, 0, 12]],
  ] as const)("%s", (_name, delta, ms, seconds, expected) => {
    expect(pointOf(delta, ms, seconds)).toEqual(expected as unknown as TrafficPoint);
  });

  test("rates add and response times weigh by requests", () => {
    expect(sumPoints([[30, 1, 10], [10, 0, 50], [0, 0, null]])).toEqual([40, 1, 20]);
    expect(sumPoints([])).toEqual([0, 0, null]);
  });
});

describe("TrafficWindow", () => {
  test("keeps the last `capacity` samples, oldest first, and zeros for apps without traffic", () => {
    const window = new TrafficWindow(3);
    window.record(sample(1000, { "/a": [1, 0, 5] }));
    window.record(sample(2000, { "/b": [2, 1, 6] }));
    window.record(sample(3000, { "/a": [3, 0, 7] }));
    window.record(sample(4000, {}));
    expect(window.app("/a")).toEqual({ times: [2000, 3000, 4000], points: [[0, 0, null], [3, 0, 7], [0, 0, null]] });
    expect(window.app("/b").points).toEqual([[2, 1, 6], [0, 0, null], [0, 0, null]]);
    expect(window.app("/never").points).toEqual([[0, 0, null], [0, 0, null], [0, 0, null]]);
  });

  test("forgets an app whose last traffic left the window", () => {
    const window = new TrafficWindow(2);
    window.record(sample(1000, { "/a": [1, 0, 5] }));
    window.record(sample(2000, {}));
    expect(window.appIds()).toEqual(["/a"]);
    window.record(sample(3000, {}));
    expect(window.appIds()).toEqual([]);
  });

  test("buckets by wall-clock boundaries: mean rates, response time weighted by requests", () => {
    const window = new TrafficWindow(10);
    window.record(sample(1000, { "/a": [10, 0, 10] }));
    window.record(sample(2000, { "/a": [30, 2, 30] }));
    window.record(sample(3500, { "/a": [4, 0, 100] }));
    const history = window.history(3000);
    expect(history.times).toEqual([2000, 3500]);
    expect(history.apps.get("/a")).toEqual([[20, 1, 25], [4, 0, 100]]);
    expect(history.totals).toEqual([[20, 1, 25], [4, 0, 100]]);
  });

  test("splits by server: a slot that moved to another task is a new series; null where a server was absent", () => {
    const window = new TrafficWindow(4);
    const s0 = (address: string, rps: number): ServerPoint => ({ name: "s0", address, point: [rps, 0, 1] });
    window.record(sample(1000, { "/a": [1, 0, 1] }, { "/a": [s0("10.0.0.1:31000", 1)] }));
    window.record(sample(2000, { "/a": [2, 0, 1] }, { "/a": [s0("10.0.0.2:31005", 2)] }));
    window.record(sample(3000, {}));
    expect(window.servers("/a")).toEqual([
      { name: "s0", address: "10.0.0.1:31000", points: [[1, 0, 1], null, null] },
      { name: "s0", address: "10.0.0.2:31005", points: [null, [2, 0, 1], null] },
    ]);
    expect(window.servers("/b")).toBeNull();
  });

  test("forgets a server series once it left the window", () => {
    const window = new TrafficWindow(2);
    window.record(sample(1000, { "/a": [1, 0, 1] }, { "/a": [{ name: "s0", address: "h:1", point: [1, 0, 1] }] }));
    window.record(sample(2000, {}));
    window.record(sample(3000, {}));
    expect(window.servers("/a")).toBeNull();
  });

  test("keeps nothing older than its time window before the newest sample, however many samples fit", () => {
    const window = new TrafficWindow(10, 2500);
    for (const at of [1000, 2000, 3000, 9000]) window.record(sample(at, { "/a": [1, 0, 1] }));
    expect(window.app("/a").times).toEqual([9000]);
    window.record(sample(10_000, {}));
    expect(window.app("/a").times).toEqual([9000, 10_000]);
  });
});
