import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { eventually, spread } from "../support/appliance.ts";
import { appRow, putService, startUiRig, storedServices, waitForText, type UiRig } from "./harness.ts";

const PASSWORD = "s3cret";

/**
 * Editing rules from the page against an appliance whose writes need basic auth. Reads are
 * open here (BAMBOO_API_READ_AUTH=false, as Bamboo had them), so the page signs in at its
 * first write; test/ui/sign-in.test.ts covers the default, where the first read asks.
 */
// A browser test waits on several page conditions, each with its own deadline.
setDefaultTimeout(30_000);

describe("editing rules from the page", () => {
  let rig: UiRig;

  beforeAll(async () => {
    rig = await startUiRig({
      password: PASSWORD,
      env: { BAMBOO_API_READ_AUTH: "false" },
      setup: async (sim) => {
        await sim.deployApp({ id: "/ghost", instances: 1 });
        await sim.deployApp({ id: "/blog", instances: 1 });
        await sim.deployApp({ id: "/shop", instances: 1 });
      },
    });
    await putService(rig, "/ghost", "hdr(host) -i ghost.local");
  }, 30_000);

  afterAll(async () => {
    await rig?.stop();
  });

  const editorFor = async (page: Page, id: string) => {
    await appRow(page, id).getByRole("button", { name: new RegExp(`rule for ${id}$`) }).click();
    return page.locator("dialog.modal").filter({ has: page.locator(".rule-form") });
  };
  const signInDialog = (page: Page) => page.locator("dialog.modal").filter({ hasText: "Sign in to change rules" });

  test("cancelling the sign-in prompt writes nothing", async () => {
    const page = await rig.open({ signedIn: false });
    const editor = await editorFor(page, "/blog");
    await editor.getByLabel("Rule (HAProxy ACL)").fill("hdr(host) -i blog.local");
    await editor.getByRole("button", { name: "Check rule" }).click();
    await signInDialog(page).getByRole("button", { name: "Cancel" }).click();
    await waitForText(page, "dialog .field-error", (t) => t.includes("nothing was checked or saved"), "the cancel explained");
    await editor.getByRole("button", { name: "Cancel" }).click();
    await editor.waitFor({ state: "detached" });
    expect(Object.keys(await storedServices(rig))).toEqual(["/ghost"]);
  });

  test("401 asks for credentials, retries, shows the dry run, then saves; HAProxy routes the host", async () => {
    const page = await rig.open({ signedIn: false });
    const challenges: (string | null)[] = [];
    page.on("response", (response) => {
      if (response.status() === 401) challenges.push(response.headers()["www-authenticate"] ?? null);
    });
    const editor = await editorFor(page, "/blog");
    await editor.getByLabel("Rule (HAProxy ACL)").fill("hdr(host) -i blog.local");
    await editor.getByRole("button", { name: "Check rule" }).click();

    // A wrong password is refused, and the prompt says so.
    const prompt = signInDialog(page);
    await prompt.getByLabel("Password").fill("wrong");
    await prompt.getByRole("button", { name: "Sign in" }).click();
    await waitForText(page, "#sign-in-reason", (t) => t.includes("not accepted"), "the wrong password refused");
    await prompt.getByLabel("Password").fill(PASSWORD);
    await prompt.getByRole("button", { name: "Sign in" }).click();

    // The page's 401s carry no Basic challenge, so a desktop browser shows the page's prompt, not its own.
    expect(challenges.length).toBeGreaterThan(0);
    expect(challenges.filter((challenge) => challenge !== null)).toEqual([]);

    // The dry run is shown before anything is stored.
    await waitForText(page, "dialog .check", (t) => t.startsWith("Accepted"), "the dry-run answer");
    expect(Object.keys(await storedServices(rig))).toEqual(["/ghost"]);

    await editor.getByRole("button", { name: "Save rule" }).click();
    await editor.waitFor({ state: "detached" });
    await waitForText(page, ".notice", (t) => t.includes("Saved the rule for /blog"), "the saved notice");
    expect((await storedServices(rig))["/blog"]?.Acl).toBe("hdr(host) -i blog.local");
    await waitForText(page, 'tr[data-app-id="/blog"] .c-rule', (t) => t.includes("blog.local") && !t.includes("default"), "the new rule listed");

    const blogTask = rig.sim.tasks("/blog")[0]!.id;
    await eventually("HAProxy routes blog.local", async () => (await spread(`${rig.bamboo.http}/`, 1, { host: "blog.local" })).has(blogTask));
  });

  test("a rule that hijacks another service's host is refused next to the field and not stored", async () => {
    const page = await rig.open({ signedIn: false });
    // Sign in up front, as someone who already edited a rule in this tab would be.
    await page.evaluate((password) => sessionStorage.setItem("bamboo.api-credentials", JSON.stringify({ user: "admin", password })), PASSWORD);
    const editor = await editorFor(page, "/shop");
    const acl = editor.getByLabel("Rule (HAProxy ACL)");
    await acl.fill("hdr(host) -i ghost.local");
    const message = await waitForText(page, "#acl-error", (t) => t.includes("/ghost"), "the conflict named next to the rule");
    expect(message).toMatch(/conflict|already/i);
    expect(await acl.getAttribute("aria-invalid")).toBe("true");
    expect(await acl.getAttribute("aria-describedby")).toContain("acl-error");
    expect(await editor.getByRole("button", { name: "Save rule" }).count()).toBe(0);
    // Pressing the button only checks again; the rule is never stored.
    await editor.getByRole("button", { name: "Check rule" }).click();
    await waitForText(page, "#acl-error", (t) => t.includes("/ghost"), "the conflict still shown");
    await page.keyboard.press("Escape");
    await editor.waitFor({ state: "detached" });
    expect((await storedServices(rig))["/shop"]).toBeUndefined();
  });

  test("a rule HAProxy rejects is explained in plain words next to the field", async () => {
    const page = await rig.open({ signedIn: false });
    await page.evaluate((password) => sessionStorage.setItem("bamboo.api-credentials", JSON.stringify({ user: "admin", password })), PASSWORD);
    const editor = await editorFor(page, "/shop");
    await editor.getByLabel("Rule (HAProxy ACL)").fill("hdr(host) -q shop.local");
    await waitForText(page, "#acl-error", (t) => t.length > 0, "the refusal next to the rule");
    await waitForText(page, "dialog .check", (t) => t.startsWith("Refused"), "the dry run refused");
    await editor.getByRole("button", { name: "Cancel" }).click();
    expect((await storedServices(rig))["/shop"]).toBeUndefined();
  });

  test("a rule is deleted after a confirmation, and the app falls back to the default rule", async () => {
    await putService(rig, "/shop", "hdr(host) -i shop.local");
    const page = await rig.open({ signedIn: false });
    await page.evaluate((password) => sessionStorage.setItem("bamboo.api-credentials", JSON.stringify({ user: "admin", password })), PASSWORD);
    await waitForText(page, 'tr[data-app-id="/shop"] .c-rule', (t) => t.includes("shop.local"), "/shop's rule listed");
    const editor = await editorFor(page, "/shop");
    await editor.getByRole("button", { name: "Delete rule" }).click();
    await editor.getByRole("button", { name: "Yes, delete" }).click();
    await editor.waitFor({ state: "detached" });
    await waitForText(page, 'tr[data-app-id="/shop"] .c-rule', (t) => t.includes("default"), "/shop back on the default rule");
    expect((await storedServices(rig))["/shop"]).toBeUndefined();
  });
});
