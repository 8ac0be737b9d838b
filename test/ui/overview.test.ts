import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appRow, putService, startUiRig, waitForText, type UiRig } from "./harness.ts";

const HEALTH = [{ protocol: "HTTP", path: "/health", portIndex: 0 }];

/** The apps view against the real appliance: counts, colours, live updates, layout, keyboard. */
// A browser test waits on several page conditions, each with its own deadline.
setDefaultTimeout(30_000);

describe("the apps overview", () => {
  let rig: UiRig;

  beforeAll(async () => {
    rig = await startUiRig({
      setup: async (sim) => {
        await sim.deployApp({ id: "/ghost", instances: 2, healthChecks: HEALTH });
        await sim.deployApp({ id: "/shop", instances: 1, healthChecks: HEALTH });
        await sim.deployApp({ id: "/blog", instances: 1, healthChecks: HEALTH });
        sim.setHealth(sim.tasks("/shop")[0]!.id, false);
      },
    });
    await putService(rig, "/ghost", "hdr(host) -i ghost.local");
    await putService(rig, "/shop", "hdr(host) -i shop.local");
    await putService(rig, "/later", "hdr(host) -i later.local");
  }, 30_000);

  afterAll(async () => {
    await rig?.stop();
  });

  test("lists every app with its rule, counts and a coloured word", async () => {
    const page = await rig.open();
    await waitForText(page, 'tr[data-app-id="/shop"] .c-status', (t) => t.includes("503"), "/shop marked 503");
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-tasks', (t) => t.replace(/\s/g, "") === "2/2", "/ghost 2 of 2 healthy");

    const ghost = appRow(page, "/ghost");
    expect(await ghost.locator(".badge").getAttribute("data-status")).toBe("healthy");
    expect(await ghost.locator(".c-rule").textContent()).toContain("hdr(host) -i ghost.local");
    expect(await ghost.locator(".c-instances").textContent()).toBe("2");

    const shop = appRow(page, "/shop");
    expect(await shop.locator(".badge").getAttribute("data-status")).toBe("no-healthy-task");
    expect(await shop.locator(".status-text").textContent()).toContain("503 for every request");

    const blog = appRow(page, "/blog");
    expect(await blog.locator(".badge").getAttribute("data-status")).toBe("no-rule");
    expect(await blog.locator(".c-rule").textContent()).toContain("default");

    // The colour really differs: green for healthy, red for the 503 row, grey for no rule.
    const colour = (row: typeof ghost) => row.locator(".badge").evaluate((el) => getComputedStyle(el).color);
    const [green, red, grey] = [await colour(ghost), await colour(shop), await colour(blog)];
    expect(new Set([green, red, grey]).size).toBe(3);
    expect(dominant(green)).toBe("g");
    expect(dominant(red)).toBe("r");

    // HAProxy's own view of each server.
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-servers', (t) => t.includes("2 UP"), "HAProxy reports /ghost's servers UP");

    // A rule stored for an app Marathon does not have is listed too.
    expect(await page.locator('.orphans li[data-service-id="/later"]').textContent()).toContain("later.local");
  });

  // The page is pushed the change (no polling, no reload). How fast is measured by
  // scripts/bench/ui-load.ts, not asserted here: timed assertions flake on a loaded machine.
  test("scaling in Marathon changes the count live, without reloading the page", async () => {
    const page = await rig.open();
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-instances', (t) => t === "2", "/ghost at 2 instances");
    // The stream resumes from the overview the page fetched: live without sending it again.
    await page.locator('[data-testid="live"].live-live').waitFor();
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    await rig.sim.scale("/ghost", 3);
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-instances', (t) => t === "3", "/ghost at 3 instances");
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    await rig.sim.scale("/ghost", 2);
  });

  test("the keyboard alone reaches the filter, and typing filters the apps", async () => {
    const page = await rig.open();
    await waitForText(page, ".result-count", (t) => t.startsWith("3 apps"), "three apps listed");
    const filter = page.getByLabel("Filter by id");
    for (let presses = 0; presses < 20 && !(await filter.evaluate((el) => el === document.activeElement)); presses++) {
      await page.keyboard.press("Tab");
    }
    expect(await filter.evaluate((el) => el === document.activeElement)).toBe(true);
    // The focus ring is visible on the focused control.
    expect(await filter.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe("none");
    await page.keyboard.type("gho");
    await waitForText(page, ".result-count", (t) => t.startsWith("1 app shown"), "one app left");
    expect(await page.locator("tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-app-id")))).toEqual(["/ghost"]);
  });

  test("at phone width the page does not scroll sideways", async () => {
    const page = await rig.open({ width: 375, height: 740 });
    await waitForText(page, ".result-count", (t) => t.startsWith("3 apps"), "three apps listed");
    for (const hash of ["#apps", "#test", "#state", "#certificates"]) {
      await page.evaluate((h) => (location.hash = h), hash);
      await page.locator(`nav a[href="${hash}"][aria-current="page"]`).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect({ hash, overflow }).toEqual({ hash, overflow: 0 });
    }
  });

  test("the appliance panel shows Marathon, the store and HAProxy", async () => {
    const page = await rig.open({ hash: "#state" });
    await waitForText(page, '[aria-label="Marathon"]', (t) => t.includes(rig.sim.url.replace(/\/$/, "")), "Marathon's endpoint");
    await waitForText(page, '[aria-label="HAProxy"]', (t) => /Reloads\s*\d/.test(t), "HAProxy's reload count");
    expect(await page.locator('a[href="/haproxy_stats"]').count()).toBe(1);
    expect(rig.pageErrors).toEqual([]);
  });
});

/** Which of red, green, blue is strongest in a CSS rgb() colour. */
function dominant(rgb: string): "r" | "g" | "b" {
  const [r, g, b] = (rgb.match(/\d+/g) ?? ["0", "0", "0"]).map(Number) as [number, number, number];
  return r >= g && r >= b ? "r" : g >= b ? "g" : "b";
}
