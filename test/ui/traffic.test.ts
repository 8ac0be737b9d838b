import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { appRow, putService, startUiRig, waitForText, type UiRig } from "./harness.ts";

const HEALTH = [{ protocol: "HTTP", path: "/health", portIndex: 0 }];
/** A sample every half second, so a test sees rates within a second or two of the load. */
const TRAFFIC_ENV = { BAMBOO_TRAFFIC_INTERVAL: "500ms" };
/** Rates show after a sample or two; the page then needs the stream to push them. */
const TRAFFIC_DEADLINE_MS = 15_000;
/** The sparkline's height in SVG units (src/http/ui/client/traffic/sparkline.tsx): y = 28 is zero. */
const SPARKLINE_HEIGHT = 28;
/** The larger charts' height in SVG units (traffic-chart.tsx). */
const CHART_HEIGHT = 120;

/**
 * Traffic in the page against the real appliance: HAProxy's counters sampled every 500 ms,
 * pushed over the stream, drawn as the app row's sparkline and its page's per-server lines.
 */
setDefaultTimeout(60_000);

describe("traffic in the apps view and on an app's page", () => {
  let rig: UiRig;

  beforeAll(async () => {
    rig = await startUiRig({
      env: TRAFFIC_ENV,
      setup: async (sim) => {
        await sim.deployApp({ id: "/shop", instances: 2, healthChecks: HEALTH });
        await sim.deployApp({ id: "/blog", instances: 1, healthChecks: HEALTH });
      },
    });
    await putService(rig, "/shop", "hdr(host) -i shop.local");
    await putService(rig, "/blog", "hdr(host) -i blog.local");
  }, 60_000);

  afterAll(async () => {
    await rig?.stop();
  });

  test("under load the app's row shows its requests per second and its sparkline rises; its page splits them by server", async () => {
    const page = await rig.open();
    const reads = watchReads(page, "/api/traffic/apps/");
    await waitForText(page, 'tr[data-app-id="/shop"] .c-traffic', (t) => t.includes("req/s"), "/shop's traffic column");
    const load = startLoad(rig.bamboo.http, "shop.local");
    try {
      await waitForText(page, 'tr[data-app-id="/shop"] .rate-requests', (t) => rateOf(t) > 0, "/shop's requests per second above zero", TRAFFIC_DEADLINE_MS);
      await waitFor(page, 'tr[data-app-id="/shop"] svg.sparkline path.line-requests', (d) => highestPoint(d) < SPARKLINE_HEIGHT - 1, "/shop's sparkline rising above zero");
      // The text alternative and the totals say the same in words.
      expect(await appRow(page, "/shop").locator("svg.sparkline").getAttribute("aria-label")).toMatch(/^Requests per second, last \d+ (min|s): now [\d.]+, peak/);
      await waitForText(page, ".traffic-totals .chart-now", (t) => rateOf(t) > 0, "the total requests per second above zero", TRAFFIC_DEADLINE_MS);
      // /blog got nothing: no chart, only its zero.
      expect(await appRow(page, "/blog").locator("svg").count()).toBe(0);
      expect(await appRow(page, "/blog").locator(".traffic-text").textContent()).toBe("0 req/s · 0 5xx/s");

      // The app's id leads to its page: one line per server, named by address and task.
      await appRow(page, "/shop").locator("a.id").click();
      await page.waitForURL(/#\/apps\/shop$/);
      await waitForText(page, "#app-title", (t) => t === "/shop", "/shop's page");
      // The page starts at its heading, so a keyboard or screen reader user is told where they are.
      // Focus moves in an effect, after the render that shows the title: wait for it, not for a paint.
      await page.waitForFunction(() => document.activeElement?.id === "app-title", undefined, { timeout: 5_000 }).catch(() => undefined);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("app-title");
      const addresses = rig.sim.tasks("/shop").map((task) => `127.0.0.1:${task.port}`);
      // Drawn from the page's own read of the sampled traffic: as slow under load as the rows' rates.
      await waitForText(page, ".chart-wide .legend", (t) => addresses.every((address) => t.includes(address)), "a legend entry per server", TRAFFIC_DEADLINE_MS);
      for (const address of addresses) {
        const line = page.locator(`.chart-wide path[data-line$="@${address}"]`);
        await waitFor(page, `.chart-wide path[data-line$="@${address}"]`, (d) => highestPoint(d) < CHART_HEIGHT - 1, `${address}'s line rising`);
        expect(await line.count()).toBe(1);
      }
      await waitForText(page, `.server-table tr[data-address="${addresses[0]}"]`, (t) => t.includes("UP"), "the server table with HAProxy's state");
      expect(await page.locator(".chart svg[role=img]").first().getAttribute("aria-label")).toContain("now");
      // Read again after samples, never two reads at once however fast they come.
      const started = reads.started;
      await waitForText(page, "#app-title", () => reads.started > started + 1, "two more reads of /shop's traffic after samples", TRAFFIC_DEADLINE_MS);
      expect(reads.mostAtOnce).toBe(1);
      expect(await page.locator("figcaption").allTextContents()).toContainEqual(expect.stringContaining("Mean response time (HAProxy's last 1,024 requests)"));

      // Back and forward move between the list and the app's page.
      await page.goBack();
      await page.locator('tr[data-app-id="/shop"]').waitFor();
      await page.goForward();
      await waitForText(page, "#app-title", (t) => t === "/shop", "/shop's page again");
    } finally {
      await load.stop();
    }
    expect(load.sent).toBeGreaterThan(0);
    expect(rig.pageErrors).toEqual([]);
  });

  test("when an app's tasks answer 500 its 5xx per second shows, and sorting and filtering by errors find it", async () => {
    const page = await rig.open();
    rig.sim.setAnswerStatus("/shop", 500);
    const load = startLoad(rig.bamboo.http, "shop.local");
    try {
      await waitForText(page, 'tr[data-app-id="/shop"] .rate-errors', (t) => rateOf(t) > 0, "/shop's 5xx per second above zero", TRAFFIC_DEADLINE_MS);
      expect(await appRow(page, "/shop").locator(".rate-errors").getAttribute("class")).toContain("has-errors");
      await waitFor(page, 'tr[data-app-id="/shop"] svg.sparkline path.line-errors', (d) => highestPoint(d) < SPARKLINE_HEIGHT - 1, "/shop's 5xx line rising");

      await page.getByRole("button", { name: "Sort by Traffic 5xx/s" }).click();
      await waitForText(page, "tbody tr:first-child", (t) => t.includes("/shop"), "/shop first when sorted by 5xx/s");
      await page.locator('select[name="traffic"]').selectOption("with-errors");
      await waitForText(page, ".result-count", (t) => t.startsWith("1 app shown"), "only the app with errors");
      expect(await page.locator("tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-app-id")))).toEqual(["/shop"]);

      await appRow(page, "/shop").locator("a.id").click();
      await waitForText(page, ".chart:has(.line-errors) .chart-now", (t) => rateOf(t) > 0, "the app page's 5xx per second above zero");
    } finally {
      await load.stop();
      rig.sim.setAnswerStatus("/shop", 200);
    }
    expect(load.statuses.get(500) ?? 0).toBeGreaterThan(0);
  });

  test("at phone and tablet widths the rates are text in each card, and nothing scrolls sideways", async () => {
    const load = startLoad(rig.bamboo.http, "shop.local");
    try {
      for (const width of [390, 900]) {
        const page = await rig.open({ width, height: 844 });
        await waitForText(page, 'tr[data-app-id="/shop"] .rate-requests', (t) => rateOf(t) > 0, `/shop's requests per second in its card at ${width} px`, TRAFFIC_DEADLINE_MS);
        expect(await appRow(page, "/shop").locator(".traffic-text").isVisible()).toBe(true);
        for (const hash of ["#apps", "#/apps/shop"]) {
          await page.evaluate((h) => (location.hash = h), hash);
          await page.locator(hash === "#apps" ? ".traffic-totals .chart" : ".app-traffic .chart").first().waitFor();
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          expect({ width, hash, overflow }).toEqual({ width, hash, overflow: 0 });
        }
      }
    } finally {
      await load.stop();
    }
  });

  test("an app Marathon does not have gets its page with the appliance's answer, not a blank", async () => {
    const page = await rig.open({ hash: "#/apps/nowhere" });
    await waitForText(page, "main", (t) => t.includes("Marathon has no app /nowhere"), "the missing app named");
    await waitForText(page, ".sampling-note", (t) => t.startsWith("Traffic could not be read"), "the 404 said in words");
  });
});

describe("with sampling off", () => {
  let rig: UiRig;

  beforeAll(async () => {
    rig = await startUiRig({ env: { BAMBOO_TRAFFIC_INTERVAL: "off" }, setup: (sim) => sim.deployApp({ id: "/shop", instances: 1 }).then(() => undefined) });
  }, 60_000);

  afterAll(async () => {
    await rig?.stop();
  });

  test("the page says so once where the charts would be, and the rows show no charts", async () => {
    const page = await rig.open();
    await waitForText(page, ".sampling-note", (t) => t.includes("Traffic sampling is off"), "the one line saying sampling is off");
    expect(await page.locator(".sampling-note").count()).toBe(1);
    expect(await page.locator(".traffic-totals svg").count()).toBe(0);
    await waitForText(page, 'tr[data-app-id="/shop"] .c-traffic', (t) => t === "—", "/shop's traffic a dash, not a zero");
    expect(await appRow(page, "/shop").locator("svg").count()).toBe(0);
  });
});

/** Counts the page's requests to paths starting with `prefix`, and the most that were open at once. */
function watchReads(page: Page, prefix: string) {
  const counts = { started: 0, open: 0, mostAtOnce: 0 };
  const ours = (url: string) => new URL(url).pathname.startsWith(prefix);
  page.on("request", (request) => {
    if (!ours(request.url())) return;
    counts.started++;
    counts.open++;
    counts.mostAtOnce = Math.max(counts.mostAtOnce, counts.open);
  });
  const end = (request: { url(): string }) => ours(request.url()) && counts.open--;
  page.on("requestfinished", end);
  page.on("requestfailed", end);
  return counts;
}

/** The number a rate text starts with: "12.3 req/s" → 12.3, "< 0.1 5xx/s" → 0.05, "0 req/s" → 0. */
function rateOf(text: string): number {
  if (text.trim().startsWith("<")) return 0.05;
  return Number.parseFloat(text.replace(/,/g, "")) || 0;
}

/** The smallest y of an SVG path's points: the highest point drawn (y grows downwards). */
function highestPoint(d: string): number {
  const ys = [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((match) => Number(match[2]));
  return ys.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...ys);
}

/** Waits until the `d` of the path at `selector` satisfies `expected`, or fails with the last one seen. */
async function waitFor(page: Page, selector: string, expected: (d: string) => boolean, what: string, timeoutMs = TRAFFIC_DEADLINE_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: string | null = null;
  while (performance.now() < deadline) {
    last = await page.locator(selector).first().getAttribute("d", { timeout: Math.max(1, deadline - performance.now()) }).catch(() => last);
    if (last !== null && expected(last)) return;
    await page.waitForTimeout(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last path: ${JSON.stringify(last)}`);
}

/**
 * Requests to HAProxy on loopback, one at a time with a short pause between them (about 100 a
 * second, enough for a rate and little for a 2-core machine), until stopped; bounded by count
 * and by time, so a failing test cannot leave it running.
 */
function startLoad(base: string, host: string, { maxRequests = 6_000, maxMs = 45_000, pauseMs = 8 } = {}) {
  let stopped = false;
  let sent = 0;
  const statuses = new Map<number, number>();
  const deadline = performance.now() + maxMs;
  const done = (async () => {
    while (!stopped && sent < maxRequests && performance.now() < deadline) {
      sent++;
      const response = await fetch(`${base}/`, { headers: { host } }).catch(() => null);
      if (response) {
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        await response.arrayBuffer().catch(() => undefined);
      }
      // Pacing the loop, not waiting for an outcome: the tests poll the page with deadlines.
      await Bun.sleep(pauseMs);
    }
  })();
  return {
    statuses,
    get sent() {
      return sent;
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}
