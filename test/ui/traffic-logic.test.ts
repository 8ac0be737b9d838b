import { describe, expect, test } from "bun:test";
import type { OverviewApp, TrafficHistory, TrafficPoint, TrafficSample } from "../../src/http/ui/api-types.ts";
import { filterApps, sortApps } from "../../src/http/ui/client/overview/sort-filter.ts";
import { linePath, niceCeiling, shownSpanMs, summarise } from "../../src/http/ui/client/traffic/chart-scale.ts";
import { describeSeries, formatMs, formatRate } from "../../src/http/ui/client/traffic/traffic-format.ts";
import { appHash, parseHash, type View } from "../../src/http/ui/client/use-hash-view.ts";
import { addSample, column, currentPoint, fromHistory, IDLE, pointAt, REQUESTS, RESPONSE_MS, type TrafficSeries, type TrafficState } from "../../src/http/ui/client/traffic/traffic-state.ts";

const OK = { state: "ok" } as const;
const WINDOW = 60_000;

function history(times: number[], apps: Record<string, TrafficPoint[]>, totals: TrafficPoint[] = times.map(() => IDLE)): TrafficHistory {
  return { intervalMs: 5_000, windowMs: WINDOW, bucketMs: 15_000, sampling: OK, times, totals, apps };
}

function sample(at: number, apps: Record<string, TrafficPoint>, totals: TrafficPoint = [0, 0, null]): TrafficSample {
  return { at, sampling: OK, totals, apps };
}

/** Each app's requests per second, by time: what a chart draws. */
function requests(state: TrafficState): Record<string, [number, number][]> {
  return Object.fromEntries([...state.apps].map(([id, series]) => [id, series.times.map((time, i) => [time, pointAt(series, i)[0]])]));
}

function points(series: TrafficSeries): TrafficPoint[] {
  return series.times.map((_, i) => pointAt(series, i));
}

describe("the traffic state: history, then samples", () => {
  test("the history's buckets, then each sample at its time; apps a sample leaves out had zero", () => {
    let state = fromHistory(history([15_000, 30_000], { "/shop": [[2, 0, 10], [4, 1, 12]] }));
    state = addSample(state, sample(35_000, { "/shop": [6, 0, 11], "/blog": [1, 0, 5] }));
    state = addSample(state, sample(40_000, { "/blog": [3, 0, 5] }));
    expect(requests(state)).toEqual({
      "/shop": [[15_000, 2], [30_000, 4], [35_000, 6], [40_000, 0]],
      "/blog": [[15_000, 0], [30_000, 0], [35_000, 1], [40_000, 3]],
    });
    expect(state.samples).toBe(2);
    expect(currentPoint(state.apps.get("/blog"))).toEqual([3, 0, 5]);
    expect(currentPoint(state.apps.get("/shop"))).toEqual([0, 0, null]);
    expect(currentPoint(state.apps.get("/never"))).toEqual(IDLE);
  });

  test("points older than the window are dropped, and an app idle for the whole window is forgotten", () => {
    let state = fromHistory(history([15_000, 30_000], { "/shop": [[2, 0, 10], [0, 0, null]], "/blog": [[0, 0, null], [1, 0, 3]] }));
    state = addSample(state, sample(75_000, {}));
    // The window is 60 s: 15,000 ends at the window's start and is gone; /shop had nothing since.
    expect(state.totals.times).toEqual([30_000, 75_000]);
    expect([...state.apps.keys()]).toEqual(["/blog"]);
    state = addSample(state, sample(95_000, {}));
    expect(state.apps.size).toBe(0);
    expect(state.totals.times).toEqual([75_000, 95_000]);
  });

  test("memory stays bounded however many samples arrive", () => {
    let state = fromHistory(history([], {}));
    for (let at = 5_000; at <= 3_600_000; at += 5_000) state = addSample(state, sample(at, { "/busy": [at, 0, 1] }));
    expect(state.totals.times.length).toBe(WINDOW / 5_000);
    expect(state.apps.get("/busy")!.values.length).toBe((3 * WINDOW) / 5_000);
  });

  test("a bucket still open when the history was sent, or a repeated sample, gives way to the sample", () => {
    let state = fromHistory(history([15_000, 30_000], { "/shop": [[2, 0, 10], [4, 0, 12]] }));
    state = addSample(state, sample(25_000, { "/shop": [9, 0, 1] }));
    expect(requests(state)["/shop"]).toEqual([[15_000, 2], [25_000, 9]]);
    state = addSample(state, sample(25_000, { "/shop": [8, 0, 1] }));
    expect(requests(state)["/shop"]).toEqual([[15_000, 2], [25_000, 8]]);
  });

  test("an idle app keeps no series, so its row sees the same (absent) value after every sample", () => {
    let state = fromHistory(history([15_000], { "/shop": [[1, 0, 2]] }));
    const before = state.apps.get("/idle");
    state = addSample(state, sample(20_000, { "/shop": [1, 0, 2] }));
    expect(state.apps.get("/idle")).toBe(before);
    expect(state.apps.get("/shop")!.hasRequests).toBe(true);
    expect(state.apps.get("/shop")!.hasErrors).toBe(false);
  });

  test("a history series shorter than its times (a broken answer) is padded at its start", () => {
    const state = fromHistory(history([1, 2, 3], { "/shop": [[5, 1, 2]] }));
    expect(points(state.apps.get("/shop")!)).toEqual([IDLE, IDLE, [5, 1, 2]]);
    expect(state.apps.get("/shop")!.hasErrors).toBe(true);
  });

  test("a chart reads one measure of every point; no response time is null", () => {
    const state = addSample(fromHistory(history([15_000], { "/shop": [[1.5, 0, 2.25]] })), sample(20_000, { "/shop": [2, 0, null] }));
    expect(column(state.apps.get("/shop")!, REQUESTS)).toEqual([1.5, 2]);
    expect(column(state.apps.get("/shop")!, RESPONSE_MS)).toEqual([2.25, null]);
  });

  test("sampling's state follows the samples", () => {
    const state = addSample(fromHistory(history([], {})), { ...sample(5_000, {}), sampling: { state: "failing", message: "HAProxy does not answer" } });
    expect(state.sampling).toEqual({ state: "failing", message: "HAProxy does not answer" });
  });
});

function app(id: string): OverviewApp {
  return { id, rule: { acl: `path_beg -i ${id}`, source: "default" }, instances: 1, tasks: { total: 1, healthy: 1, routed: 1 }, servers: [], status: "healthy", statusText: "" };
}

describe("sorting and filtering by traffic", () => {
  const state = addSample(
    fromHistory(history([10_000], { "/old-errors": [[1, 1, 3]], "/quiet": [[2, 0, 3]] })),
    sample(15_000, { "/busy": [50, 0, 3], "/failing": [5, 4, 9], "/quiet": [0.5, 0, 3] }),
  );
  const apps = ["/busy", "/failing", "/idle", "/old-errors", "/quiet"].map(app);

  test("by requests per second now (the last point), busiest first; ties by id", () => {
    expect(sortApps([...apps], { key: "requests", descending: true }, state.apps).map((a) => a.id)).toEqual(["/busy", "/failing", "/quiet", "/idle", "/old-errors"]);
  });

  test("by 5xx per second now", () => {
    expect(sortApps([...apps], { key: "errors", descending: true }, state.apps).map((a) => a.id)[0]).toBe("/failing");
    expect(sortApps([...apps], { key: "errors", descending: false }, state.apps).map((a) => a.id).at(-1)).toBe("/failing");
  });

  test("with traffic and with 5xx errors look at the whole window", () => {
    expect(filterApps(apps, "", "all", "with-traffic", state.apps).map((a) => a.id)).toEqual(["/busy", "/failing", "/old-errors", "/quiet"]);
    expect(filterApps(apps, "", "all", "with-errors", state.apps).map((a) => a.id)).toEqual(["/failing", "/old-errors"]);
    expect(filterApps(apps, "fail", "all", "with-errors", state.apps).map((a) => a.id)).toEqual(["/failing"]);
    expect(filterApps(apps, "", "all", "all", state.apps)).toHaveLength(apps.length);
  });

  test("without traffic known, sorting by it keeps the id order and filtering by it shows nothing", () => {
    expect(sortApps([...apps], { key: "requests", descending: true }).map((a) => a.id)).toEqual(apps.map((a) => a.id));
    expect(filterApps(apps, "", "all", "with-traffic")).toEqual([]);
  });
});

describe("chart scales and paths", () => {
  test.each([
    ["no points yet: a minute", [], 60_000],
    ["one point: a minute", [5_000], 60_000],
    ["20 s of points: a minute", [0, 20_000], 60_000],
    ["3 min 10 s of points: four minutes", [0, 190_000], 240_000],
    ["more than the window: the window", [0, 2_000_000], 900_000],
  ])("spans %s", (_name, times, span) => {
    expect(shownSpanMs(times, 900_000)).toBe(span);
  });

  test("the top of the scale is a round number at least the peak, never below the floor", () => {
    const cases: [number, number, number][] = [
      [0, 1, 1],
      [0.3, 0.1, 0.5],
      [1, 1, 1],
      [1.2, 1, 2],
      [2.2, 1, 2.5],
      [3, 1, 5],
      [7, 1, 10],
      [12.3, 1, 20],
      [240, 1, 250],
      [3, 10, 10],
      [Number.NaN, 10, 10],
    ];
    for (const [max, floor, top] of cases) expect({ max, floor, top: niceCeiling(max, floor) }).toEqual({ max, floor, top });
  });

  const frame = { width: 100, height: 10, start: 0, end: 100, top: 10 };

  test("each value sits at its time, zero at the bottom and the top at the top", () => {
    expect(linePath([0, 50, 100], [0, 5, 10], frame)).toBe("M0 10L50 5L100 0");
  });

  test("a null (no responses in the interval) breaks the line; a lone point is a dot", () => {
    expect(linePath([0, 25, 50, 75, 100], [1, 2, null, 4, 5], frame)).toBe("M0 9L25 8M75 6L100 5");
    expect(linePath([0, 50, 100], [null, 3, null], frame)).toBe("M50 7h0");
    expect(linePath([], [], frame)).toBe("");
  });

  test("values outside the frame are clamped to its edges; coordinates keep one decimal", () => {
    expect(linePath([-10, 33.333], [20, 1 / 3], frame)).toBe("M0 0L33.3 9.7");
  });

  test("now, peak and mean skip intervals without a value", () => {
    expect(summarise([1, null, 5, 3, null])).toEqual({ now: 3, peak: 5, mean: 3 });
    expect(summarise([null])).toEqual({ now: null, peak: null, mean: null });
  });

  test("the text alternative names the window, now, peak and mean", () => {
    expect(describeSeries("Requests per second", 900_000, { now: 12.34, peak: 40.1, mean: 10.2 }, formatRate)).toBe("Requests per second, last 15 min: now 12.3, peak 40.1, mean 10.2");
    expect(describeSeries("5xx per second", 30_000, { now: null, peak: null, mean: null }, formatRate)).toBe("5xx per second, last 30 s: no data");
  });

  test("rates and times read as people write them", () => {
    expect([0, 0.04, 0.44, 12.345, 1234.5, null].map(formatRate)).toEqual(["0", "< 0.1", "0.4", "12.3", "1,235", "—"]);
    expect([0.456, 12.6, 1500, null].map(formatMs)).toEqual(["0.5 ms", "13 ms", "1,500 ms", "—"]);
  });
});

describe("an app's page in the URL's hash", () => {
  test("an id keeps its slashes, each segment escaped, and reads back the same", () => {
    for (const id of ["/shop", "/group/payments-api", "/a b/c%d"]) expect(parseHash(appHash(id))).toEqual({ view: "app", appId: id });
    expect(appHash("/group/app")).toBe("#/apps/group/app");
  });

  test("the tabs' hashes open their views; anything else, broken escapes included, the apps list", () => {
    const cases: [string, View][] = [
      ["", "apps"],
      ["#apps", "apps"],
      ["#/apps", "apps"],
      ["#/apps/", "apps"],
      ["#state", "state"],
      ["#certificates", "certificates"],
      ["#/apps/%E0%A4%A", "apps"],
      ["#nonsense", "apps"],
    ];
    for (const [hash, view] of cases) expect({ hash, view: parseHash(hash).view }).toEqual({ hash, view });
  });
});
