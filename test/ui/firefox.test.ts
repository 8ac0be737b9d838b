import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { eventually, spread } from "../support/appliance.ts";
import { TestPki } from "../support/certs.ts";
import { CREDENTIALS_KEY, DEADLINE_MS, putService, startUiBackend, storedServices, VIEWER, type UiBackend } from "./harness.ts";

/**
 * The main flows again in Debian's Firefox ESR. Playwright drives Firefox only in its own
 * patched build, or over WebDriver BiDi with a command ESR 153 does not have
 * (emulation.setMediaFeaturesOverride); Puppeteer speaks the BiDi that ESR implements.
 */
const FIREFOX = process.env.FIREFOX_BIN ?? "/usr/bin/firefox-esr";
const PASSWORD = "s3cret";
const HEALTH = [{ protocol: "HTTP", path: "/health", portIndex: 0 }];
/** The rule editor's submit button: "Check rule" until the dry run accepts, then "Save rule". */
const RULE_SUBMIT = 'dialog .rule-form button[type="submit"]';

// Firefox takes several seconds to start; each wait in the page has its own deadline.
setDefaultTimeout(60_000);

describe("the UI in Firefox", () => {
  let backend: UiBackend;
  let browser: Browser;
  const pageErrors: string[] = [];
  const pki = new TestPki();

  beforeAll(async () => {
    backend = await startUiBackend({
      password: PASSWORD,
      // Samples every half second, so the traffic check sees its requests drawn soon.
      env: { BAMBOO_TRAFFIC_INTERVAL: "500ms" },
      setup: async (sim) => {
        await sim.deployApp({ id: "/ghost", instances: 2, healthChecks: HEALTH });
        await sim.deployApp({ id: "/shop", instances: 1, healthChecks: HEALTH });
        await sim.deployApp({ id: "/blog", instances: 1 });
        sim.setHealth(sim.tasks("/shop")[0]!.id, false);
      },
    });
    await putService(backend, "/ghost", "hdr(host) -i ghost.local");
    await putService(backend, "/shop", "hdr(host) -i shop.local");
    browser = await puppeteer.launch({ browser: "firefox", executablePath: FIREFOX, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await backend?.stop();
    pki.cleanup();
  });

  /**
   * A page in a fresh browser context (its own sessionStorage), opened at the UI; signed in
   * as the viewer, as after the first prompt, unless `signedIn` is false.
   */
  const open = async (hash = "", width = 1280, height = 800, signedIn = true): Promise<Page> => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    page.setDefaultTimeout(DEADLINE_MS);
    page.on("pageerror", (error) => pageErrors.push(error instanceof Error ? error.message : String(error)));
    await page.setViewport({ width, height });
    if (signedIn) await page.evaluateOnNewDocument((key, value) => sessionStorage.setItem(key, value), CREDENTIALS_KEY, JSON.stringify(VIEWER));
    await page.goto(`${backend.bamboo.api}/${hash}`);
    return page;
  };

  test("the overview lists the apps with their counts and coloured words", async () => {
    const page = await open();
    await waitForText(page, 'tr[data-app-id="/shop"] .c-status', (t) => t.includes("503"), "/shop marked 503");
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-tasks', (t) => t.replace(/\s/g, "") === "2/2", "/ghost 2 of 2 healthy");
    const status = (id: string) => page.$eval(`tr[data-app-id="${id}"] .badge`, (el) => [el.getAttribute("data-status"), getComputedStyle(el).color]);
    const [[ghost, green], [shop, red], [blog, grey]] = [await status("/ghost"), await status("/shop"), await status("/blog")];
    expect([ghost, shop, blog]).toEqual(["healthy", "no-healthy-task", "no-rule"]);
    expect(new Set([green, red, grey]).size).toBe(3);
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-servers', (t) => t.includes("2 UP"), "HAProxy reports /ghost's servers UP");
  });

  test("scaling in Marathon changes the count live, without reloading the page", async () => {
    const page = await open();
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-instances', (t) => t === "2", "/ghost at 2 instances");
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    await backend.sim.scale("/ghost", 3);
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-instances', (t) => t === "3", "/ghost at 3 instances");
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    await backend.sim.scale("/ghost", 2);
  });

  test("the keyboard alone reaches the filter, and typing filters the apps", async () => {
    const page = await open();
    await waitForText(page, ".result-count", (t) => t.startsWith("3 apps"), "three apps listed");
    const filterFocused = () => page.evaluate(() => document.activeElement?.matches('input[type="search"]') ?? false);
    for (let presses = 0; presses < 20 && !(await filterFocused()); presses++) await page.keyboard.press("Tab");
    expect(await filterFocused()).toBe(true);
    await page.keyboard.type("gho");
    await waitForText(page, ".result-count", (t) => t.startsWith("1 app shown"), "one app left");
  });

  test("opened without credentials it asks; as the viewer it shows the apps live and may not write", async () => {
    const page = await open("", 1280, 800, false);
    await waitForText(page, "#sign-in-reason", (t) => t.includes("viewer"), "the sign-in prompt for reading");
    await page.locator('dialog input[name="user"]').fill(VIEWER.user);
    await page.locator('dialog input[name="password"]').fill(VIEWER.password);
    await page.locator('dialog form:has(input[name="password"]) button[type="submit"]').click();
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-instances', (t) => t === "2", "/ghost listed after signing in");
    await waitForText(page, '[data-testid="live"]', (t) => t === "Live", "the live stream following");
    await backend.sim.scale("/ghost", 3);
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-instances', (t) => t === "3", "/ghost scaled to 3, pushed live");
    await backend.sim.scale("/ghost", 2);
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-instances', (t) => t === "2", "/ghost back at 2");

    await page.locator('button[aria-label="Add rule for /blog"]').click();
    await page.locator('dialog input[name="acl"]').fill("hdr(host) -i blog.local");
    await waitForText(page, "dialog .field-error", (t) => t.includes("Signed in as viewer, who may only read"), "the viewer's write refused");
    await page.keyboard.press("Escape");
    expect((await storedServices(backend))["/blog"]).toBeUndefined();
  });

  test("a rule is checked, signed in for as the admin, saved, and HAProxy routes the host", async () => {
    const page = await open();
    await page.locator('button[aria-label="Add rule for /blog"]').click();
    await page.locator('dialog input[name="acl"]').fill("hdr(host) -i blog.local");
    await page.locator(RULE_SUBMIT).click();
    // Signed in as the viewer, the check offers to sign in as the admin.
    await waitForText(page, "#sign-in-reason", (t) => t.includes("who may only read"), "the prompt for the admin");
    await page.locator('dialog input[name="user"]').fill("admin");
    await page.locator('dialog input[name="password"]').fill(PASSWORD);
    await page.locator('dialog form:has(input[name="password"]) button[type="submit"]').click();
    await waitForText(page, "dialog .check", (t) => t.startsWith("Accepted"), "the dry-run answer");
    expect((await storedServices(backend))["/blog"]).toBeUndefined();
    expect(await page.$eval(RULE_SUBMIT, (button) => button.textContent)).toBe("Save rule");
    await page.locator(RULE_SUBMIT).click();
    await waitForText(page, ".notice", (t) => t.includes("Saved the rule for /blog"), "the saved notice");
    expect((await storedServices(backend))["/blog"]?.Acl).toBe("hdr(host) -i blog.local");
    const blogTask = backend.sim.tasks("/blog")[0]!.id;
    await eventually("HAProxy routes blog.local", async () => (await spread(`${backend.bamboo.http}/`, 1, { host: "blog.local" })).has(blogTask));
  });

  test("a hijacking rule is refused next to the field and nothing is stored", async () => {
    const page = await open();
    await page.evaluate((password) => sessionStorage.setItem("bamboo.api-credentials", JSON.stringify({ user: "admin", password })), PASSWORD);
    await page.locator('button[aria-label="Edit rule for /shop"]').click();
    await page.locator('dialog input[name="acl"]').fill("hdr(host) -i ghost.local");
    await waitForText(page, "#acl-error", (t) => t.includes("/ghost"), "the conflict named next to the rule");
    expect(await page.$eval(RULE_SUBMIT, (button) => button.textContent)).toBe("Check rule");
    await page.keyboard.press("Escape");
    expect((await storedServices(backend))["/shop"]?.Acl).toBe("hdr(host) -i shop.local");
  });

  test("the request tester explains a 503 and names the app", async () => {
    const page = await open("#test");
    await page.locator('input[name="url"]').fill("/cart");
    await page.locator('input[name="host"]').fill("shop.local");
    await page.locator('main form button[type="submit"]').click();
    const answer = await waitForText(page, ".test-answer", (t) => t.includes("503"), "the 503 explained");
    expect(answer).toContain("/shop");
    expect(await page.$eval(".test-answer", (el) => el.getAttribute("data-verdict"))).toBe("no-healthy-server");
  });

  test("certificates: the viewer may only look; signed in as the admin, an upload from the form is served and listed with its expiry, then removed", async () => {
    const leaf = pki.leaf("ghost", ["ghost.local"]);
    const page = await open("#certificates");
    await waitForText(page, ".banner-warn", (t) => t.includes("who may only read"), "the viewer told why there is no upload form");
    expect(await page.$('textarea[name="pem"]')).toBeNull();
    await page.locator(".banner-warn button").click();
    await waitForText(page, "#sign-in-reason", (t) => t.includes("certificates needs the admin"), "the prompt for the admin");
    await page.locator('dialog input[name="user"]').fill("admin");
    await page.locator('dialog input[name="password"]').fill(PASSWORD);
    await page.locator('dialog form:has(input[name="password"]) button[type="submit"]').click();
    await page.waitForSelector('textarea[name="pem"]');

    await page.locator('input[name="cert-name"]').fill("ghost");
    // Typing 4 KB of PEM key by key is slow over BiDi; paste it as the input event a paste makes.
    await page.$eval(
      'textarea[name="pem"]',
      (element, pem) => {
        const area = element as HTMLTextAreaElement;
        area.value = pem;
        area.dispatchEvent(new Event("input", { bubbles: true }));
      },
      `${leaf.certificate}${leaf.chain}${leaf.key}`,
    );
    await page.locator('section[aria-labelledby="upload-title"] button[type="submit"]').click();
    // The first certificate turns HTTPS on, which takes a reload; one slower than the write's 2 s wait answers "pending".
    await waitForText(page, ".notice", (t) => /^Uploaded ghost\. (HAProxy serves it now|Stored, but HAProxy has not taken it yet)/.test(t), "the upload's notice");
    const row = await waitForText(page, 'tr[data-cert-name="ghost"]', (t) => t.includes("served") && !t.includes("not served"), "ghost listed as served", 15_000);
    const notAfter = await page.$eval('tr[data-cert-name="ghost"] time', (el) => el.getAttribute("datetime") ?? "");
    expect(row).toContain(notAfter.slice(0, 10));
    expect(row).toMatch(/valid for (89|90) days/);
    expect(row).toContain("/ghost");

    await page.locator('button[aria-label="Remove certificate ghost"]').click();
    await page.locator('[aria-label="Confirm removing ghost"] button.danger').click();
    await waitForText(page, ".notice", (t) => t.startsWith("Removed ghost."), "the removal's notice");
    await page.waitForSelector('tr[data-cert-name="ghost"]', { hidden: true });
  });

  test("traffic charts render: a few requests draw /ghost's sparkline, the totals, and its page's per-server lines", async () => {
    const page = await open();
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-traffic', (t) => t.includes("req/s"), "/ghost's traffic column");
    // A bounded burst through HAProxy on loopback; the sparkline keeps it for the whole window.
    expect((await spread(`${backend.bamboo.http}/`, 40, { host: "ghost.local" })).size).toBe(2);
    await waitForPath(page, 'tr[data-app-id="/ghost"] svg.sparkline path.line-requests', (d) => highestPoint(d) < 27, "/ghost's sparkline rising");
    await waitForPath(page, ".traffic-totals svg path.line-requests", (d) => highestPoint(d) < 119, "the totals chart rising");
    await page.locator('tr[data-app-id="/ghost"] a.id').click();
    const addresses = backend.sim.tasks("/ghost").map((task) => `127.0.0.1:${task.port}`);
    await waitForText(page, ".chart-wide .legend", (t) => addresses.every((address) => t.includes(address)), "a legend entry per server");
    expect(await page.$$eval(".chart-wide path[data-line]", (paths) => paths.length)).toBe(3);
    // A fresh appliance's chart spans the minute its samples cover, not the empty 15 minutes.
    expect(await page.$eval(".chart-wide svg", (svg) => svg.getAttribute("aria-label") ?? "")).toMatch(/^Requests per second, all servers, last 1 min: now/);
  });

  test("at phone width no view scrolls sideways, and no page error was seen", async () => {
    const page = await open("", 375, 740);
    await waitForText(page, ".result-count", (t) => t.includes("apps"), "the apps listed");
    for (const hash of ["#apps", "#test", "#state", "#certificates"]) {
      await page.evaluate((h) => (location.hash = h), hash);
      await page.waitForSelector(`nav a[href="${hash}"][aria-current="page"]`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect({ hash, overflow }).toEqual({ hash, overflow: 0 });
    }
    expect(pageErrors).toEqual([]);
  });
});

/** Waits until the `d` of the path at `selector` satisfies `expected`, or fails with the last one seen. */
async function waitForPath(page: Page, selector: string, expected: (d: string) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: string | null = null;
  while (performance.now() < deadline) {
    last = await page.$eval(selector, (el) => el.getAttribute("d")).catch(() => last);
    if (last !== null && expected(last)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last path: ${JSON.stringify(last)}`);
}

/** The smallest y of an SVG path's points: the highest point drawn (y grows downwards). */
function highestPoint(d: string): number {
  const ys = [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((match) => Number(match[2]));
  return ys.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...ys);
}

/** Waits until the text of `selector` satisfies `expected`, or fails with what the page showed. */
async function waitForText(page: Page, selector: string, expected: (text: string) => boolean, what: string, timeoutMs = DEADLINE_MS): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  while (performance.now() < deadline) {
    const text = await page.$eval(selector, (el) => el.textContent ?? "").catch(() => null);
    if (text !== null) last = text;
    if (text !== null && expected(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last text: ${JSON.stringify(last)}`);
}
