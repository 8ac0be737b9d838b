/**
 * What every browser test needs: the Marathon simulator, the real dist/bamboo, and Debian's
 * Chromium driven by playwright-core, all on loopback. Each test gets a fresh browser
 * context, so sessionStorage (the API credentials) never leaks from one test to the next.
 */

/** The key the page keeps its credentials under (src/http/ui/client/credentials.ts). */
export const CREDENTIALS_KEY = "bamboo.api-credentials";
/** The viewer, as the tests' appliances have it: enough to read, not to write. */
export const VIEWER = { user: "viewer", password: TEST_VIEWER_PASSWORD };
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startAppliance, TEST_VIEWER_PASSWORD, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";
import type { Overview } from "../../src/http/ui/api-types.ts";

export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/** Flags that keep a headless Chromium off the network and quick to start. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Each wait in the browser has a deadline; a failure names what did not happen. */
export const DEADLINE_MS = 5_000;

export function launchChromium(): Promise<Browser> {
  // playwright-core gives every launch its own fresh temporary profile directory.
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** The appliance a browser test talks to: the simulator and the real dist/bamboo. */
export interface UiBackend {
  readonly sim: MarathonSim;
  readonly bamboo: RunningAppliance;
  /** Basic auth (the admin's) for direct API calls. */
  authHeaders(): Record<string, string>;
  stop(): Promise<void>;
}

export interface UiRig extends UiBackend {
  readonly browser: Browser;
  /**
   * A page in a new context, opened at the UI (optionally at a hash view), with errors
   * collected. It starts signed in as the viewer, as after the first prompt, unless
   * `signedIn` is false.
   */
  open(options?: { hash?: string; width?: number; height?: number; signedIn?: boolean }): Promise<Page>;
  /** Page errors seen so far; a test may assert there were none. */
  readonly pageErrors: string[];
}

export interface RigOptions {
  readonly password?: string;
  /** More settings for the appliance, e.g. BAMBOO_API_READ_AUTH. */
  readonly env?: Readonly<Record<string, string>>;
  /** Apps to deploy before bamboo starts; runs with the simulator. */
  readonly setup?: (sim: MarathonSim) => Promise<void>;
}

/** The simulator (after `setup`) and a ready dist/bamboo, whichever browser drives the page. */
export async function startUiBackend(options: RigOptions = {}): Promise<UiBackend> {
  const sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  await options.setup?.(sim);
  const env: Record<string, string> = { ...options.env, ...(options.password ? { BAMBOO_API_PASSWORD: options.password } : {}) };
  const bamboo = await startAppliance({ marathonUrl: sim.url, env });
  try {
    await bamboo.waitReady();
  } catch (error) {
    // A failed start must not leave its processes behind for the next tests to trip over.
    await bamboo.stop();
    await sim.stop();
    throw error;
  }
  return {
    sim,
    bamboo,
    authHeaders(): Record<string, string> {
      // The appliance always has a password (secure by default); the rig's or the tests' default.
      return { authorization: bamboo.writer.authorization! };
    },
    async stop() {
      await bamboo.stop();
      await sim.stop();
    },
  };
}

export async function startUiRig(options: RigOptions = {}): Promise<UiRig> {
  const backend = await startUiBackend(options);
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    ...backend,
    browser,
    pageErrors,
    async open({ hash = "", width = 1280, height = 800, signedIn = true } = {}) {
      const context = await browser.newContext({ viewport: { width, height } });
      contexts.push(context);
      if (signedIn) await context.addInitScript(([key, value]) => sessionStorage.setItem(key, value), [CREDENTIALS_KEY, JSON.stringify(VIEWER)] as const);
      const page = await context.newPage();
      page.setDefaultTimeout(DEADLINE_MS);
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto(`${backend.bamboo.api}/${hash}`);
      return page;
    },
    async stop() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await backend.stop();
    },
  };
}

/** Stores a rule through the API, as another team would, so the page has something to show. */
export async function putService(rig: UiBackend, id: string, acl: string): Promise<void> {
  const response = await fetch(`${rig.bamboo.api}/api/services`, {
    method: "POST",
    headers: { "content-type": "application/json", ...rig.authHeaders() },
    body: JSON.stringify({ id, acl }),
  });
  if (!response.ok) throw new Error(`storing ${id} failed: ${response.status} ${await response.text()}`);
  // Stored is not yet applied: the page shows what HAProxy runs, so wait until that has the rule.
  const deadline = performance.now() + DEADLINE_MS;
  for (;;) {
    const overview = (await (await fetch(`${rig.bamboo.api}/api/overview`, { headers: rig.bamboo.reader })).json()) as Overview;
    if (overview.apps.some((app) => app.id === id && app.rule.acl === acl) || overview.orphanServices.some((service) => service.id === id && service.acl === acl)) return;
    if (performance.now() > deadline) throw new Error(`${id}'s rule ${acl} was stored but not applied within ${DEADLINE_MS} ms`);
    await Bun.sleep(20);
  }
}

export async function storedServices(rig: UiBackend): Promise<Record<string, { Acl: string }>> {
  return (await (await fetch(`${rig.bamboo.api}/api/services`, { headers: rig.bamboo.reader })).json()) as Record<string, { Acl: string }>;
}

/** The row of an app in the overview table. */
export function appRow(page: Page, id: string) {
  return page.locator(`tr[data-app-id="${id}"]`);
}

/** Waits until the page's text for `selector` satisfies `expected`, or fails with what it saw. */
export async function waitForText(page: Page, selector: string, expected: (text: string) => boolean, what: string, timeoutMs = DEADLINE_MS): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  while (performance.now() < deadline) {
    const text = await page.locator(selector).first().textContent({ timeout: Math.max(1, deadline - performance.now()) }).catch(() => null);
    // Keep the last text actually read, so a timeout reports what the page showed.
    if (text !== null) last = text;
    if (text !== null && expected(text)) return text;
    await page.waitForTimeout(10);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last text: ${JSON.stringify(last)}`);
}
