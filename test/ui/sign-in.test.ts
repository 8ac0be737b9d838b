import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { appRow, putService, startUiRig, storedServices, VIEWER, waitForText, type UiRig } from "./harness.ts";

/**
 * Reads need credentials by default (issue 17 item 1): the page opens without them, asks on
 * its first 401, and then reads everything, the live stream included, with what was entered.
 */
// A browser test waits on several page conditions, each with its own deadline.
setDefaultTimeout(30_000);

describe("signing in to read", () => {
  let rig: UiRig;

  beforeAll(async () => {
    rig = await startUiRig({
      setup: async (sim) => {
        await sim.deployApp({ id: "/ghost", instances: 2 });
        await sim.deployApp({ id: "/blog", instances: 1 });
      },
    });
    await putService(rig, "/ghost", "hdr(host) -i ghost.local");
  }, 30_000);

  afterAll(async () => {
    await rig?.stop();
  });

  const readPrompt = (page: Page) => page.locator("dialog.modal").filter({ hasText: "Sign in to see the apps" });

  /** Every 401 the page got, with its Basic challenge if it had one. */
  const challengesOf = (page: Page) => {
    const challenges: { url: string; challenge: string | null }[] = [];
    page.on("response", (response) => {
      if (response.status() === 401) challenges.push({ url: response.url(), challenge: response.headers()["www-authenticate"] ?? null });
    });
    return challenges;
  };

  test("opened without credentials the page asks; signed in as the viewer it shows the apps and follows them live", async () => {
    const page = await rig.browser.newContext().then((context) => context.newPage());
    page.setDefaultTimeout(5_000);
    const challenges = challengesOf(page);
    await page.goto(`${rig.bamboo.api}/`);

    const prompt = readPrompt(page);
    await prompt.waitFor();
    expect(await page.locator("#sign-in-reason").textContent()).toContain("viewer");
    expect(await appRow(page, "/ghost").count()).toBe(0);
    // The page's reads (its preload included) carry no challenge: no native browser prompt over the page.
    expect(challenges.length).toBeGreaterThan(0);
    expect(challenges.filter((c) => c.challenge !== null)).toEqual([]);

    // A wrong password is refused, and the prompt says so.
    await prompt.getByLabel("User").fill(VIEWER.user);
    await prompt.getByLabel("Password").fill("wrong");
    await prompt.getByRole("button", { name: "Sign in" }).click();
    await waitForText(page, "#sign-in-reason", (t) => t.includes("not accepted"), "the wrong password refused");
    await prompt.getByLabel("Password").fill(VIEWER.password);
    await prompt.getByRole("button", { name: "Sign in" }).click();
    await prompt.waitFor({ state: "detached" });

    await waitForText(page, 'tr[data-app-id="/ghost"] .c-rule', (t) => t.includes("ghost.local"), "/ghost's rule listed");
    await page.locator('[data-testid="live"].live-live').waitFor();
    await rig.sim.scale("/ghost", 3);
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-instances', (t) => t === "3", "/ghost scaled to 3, pushed over the live stream");
    await rig.sim.scale("/ghost", 2);
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-instances', (t) => t === "2", "/ghost back at 2");

    // Other reads use the same credentials: the appliance's state shows without asking again.
    await page.evaluate(() => (location.hash = "#state"));
    await waitForText(page, ".banner", (t) => t.startsWith("Ready"), "the appliance state read as the viewer");
    expect(await readPrompt(page).count()).toBe(0);
  });

  test("a viewer's write is refused with a clear message, and nothing is stored", async () => {
    const page = await rig.open();
    await appRow(page, "/blog").getByRole("button", { name: /rule for \/blog$/ }).click();
    const editor = page.locator("dialog.modal").filter({ has: page.locator(".rule-form") });
    await editor.getByLabel("Rule (HAProxy ACL)").fill("hdr(host) -i blog.local");
    // The check made while typing asks nobody; it shows the appliance's answer.
    await waitForText(page, "dialog .field-error", (t) => t.includes("Signed in as viewer, who may only read") && t.includes("admin"), "the viewer's refusal explained");
    // Pressing the button offers to sign in as the admin; cancelling keeps the explanation.
    await editor.getByRole("button", { name: "Check rule" }).click();
    const writePrompt = page.locator("dialog.modal").filter({ hasText: "Sign in to change rules" });
    expect(await writePrompt.locator("#sign-in-reason").textContent()).toContain("Signed in as viewer, who may only read");
    await writePrompt.getByRole("button", { name: "Cancel" }).click();
    await waitForText(page, "dialog .field-error", (t) => t.includes("who may only read"), "the refusal still shown");
    await editor.getByRole("button", { name: "Cancel" }).click();
    expect((await storedServices(rig))["/blog"]).toBeUndefined();
  });

  test("cancelling the prompt leaves the page signed out until the user signs in", async () => {
    const page = await rig.open({ signedIn: false });
    await readPrompt(page).getByRole("button", { name: "Cancel" }).click();
    await waitForText(page, '[data-testid="live"]', (t) => t === "Not signed in", "the page marked signed out");
    // Nothing asks again by itself.
    await page.waitForTimeout(1_500);
    expect(await readPrompt(page).count()).toBe(0);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await readPrompt(page).getByLabel("User").fill(VIEWER.user);
    await readPrompt(page).getByLabel("Password").fill(VIEWER.password);
    await readPrompt(page).getByRole("button", { name: "Sign in" }).click();
    await waitForText(page, 'tr[data-app-id="/ghost"] .c-rule', (t) => t.includes("ghost.local"), "the apps shown after signing in");
    expect(rig.pageErrors).toEqual([]);
  });
});
