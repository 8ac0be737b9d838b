import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { CertificateList } from "../../src/http/ui/api-types.ts";
import { eventually, TEST_API_PASSWORD } from "../support/appliance.ts";
import { TestPki } from "../support/certs.ts";
import { appRow, CREDENTIALS_KEY, DEADLINE_MS, putService, startUiRig, waitForText, type UiRig } from "./harness.ts";

/**
 * The certificates view and the rule editor's HTTPS settings (issue 18 items 2, 5 and 6) in
 * Chromium, against the real dist/bamboo with certificates made by openssl: listed with their
 * expiry, uploaded and removed by the admin from the page, refused with the appliance's own
 * words, read-only for the viewer; a redirect saved from the rule editor answers HTTP with 301.
 */
// A browser test waits on several page conditions, each with its own deadline.
setDefaultTimeout(30_000);

const ADMIN = { user: "admin", password: TEST_API_PASSWORD };
const bundleOf = (leaf: { certificate: string; chain: string; key: string }) => `${leaf.certificate}${leaf.chain}${leaf.key}`;

describe("the certificates view", () => {
  const pki = new TestPki();
  const certDir = mkdtempSync(join(tmpdir(), "bamboo-ui-certdir-"));
  let rig: UiRig;

  beforeAll(async () => {
    // A certificate from the directory, there before the appliance starts.
    writeFileSync(join(certDir, "files.pem"), bundleOf(pki.leaf("files", ["files.example"])));
    rig = await startUiRig({
      env: { BAMBOO_CERT_DIR: certDir },
      setup: async (sim) => {
        await sim.deployApp({ id: "/shop", instances: 1 });
        await sim.deployApp({ id: "/blog", instances: 1 });
      },
    });
    await putService(rig, "/shop", "hdr(host) -i shop.example");
    await putService(rig, "/blog", "hdr(host) -i blog.example");
  }, 60_000);

  afterAll(async () => {
    await rig?.stop();
    rmSync(certDir, { recursive: true, force: true });
    pki.cleanup();
  });

  /** A page signed in as the admin (the rig's pages start as the viewer). */
  const openAsAdmin = async (hash: string, width = 1280, height = 800): Promise<Page> => {
    const context = await rig.browser.newContext({ viewport: { width, height } });
    await context.addInitScript(([key, value]) => sessionStorage.setItem(key, value), [CREDENTIALS_KEY, JSON.stringify(ADMIN)] as const);
    const page = await context.newPage();
    page.setDefaultTimeout(DEADLINE_MS);
    page.on("pageerror", (error) => rig.pageErrors.push(error.message));
    await page.goto(`${rig.bamboo.api}/${hash}`);
    return page;
  };

  const list = async (): Promise<CertificateList> => (await (await fetch(`${rig.bamboo.api}/api/certificates`, { headers: rig.bamboo.reader })).json()) as CertificateList;

  const upload = async (name: string, pem: string): Promise<void> => {
    const answer = await fetch(`${rig.bamboo.api}/api/certificates/${name}`, { method: "PUT", headers: rig.bamboo.writer, body: JSON.stringify({ pem }) });
    if (answer.status !== 200) throw new Error(`uploading ${name}: ${answer.status} ${await answer.text()}`);
  };

  const row = (page: Page, name: string) => page.locator(`tr[data-cert-name="${name}"]`);

  test("an uploaded certificate is listed with its hosts, issuer, expiry date, the app it covers and as served", async () => {
    await upload("shop", bundleOf(pki.leaf("shop", ["shop.example", "*.shop.example"])));
    const shop = (await list()).certificates.find((certificate) => certificate.name === "shop")!;
    const page = await rig.open({ hash: "#certificates" });
    await waitForText(page, 'tr[data-cert-name="shop"] .c-served', (t) => t === "served", "shop listed as served", 15_000);
    const text = (await row(page, "shop").textContent()) ?? "";
    expect(text).toContain(shop.notAfter.slice(0, 10));
    expect(text).toMatch(/valid for (89|90) days/);
    expect(text).toContain("*.shop.example");
    expect(text).toContain("Bamboo Test Intermediate");
    expect(await row(page, "shop").locator(".c-apps").textContent()).toBe("/shop");
    expect(await row(page, "shop").locator(".c-source").textContent()).toBe("uploaded");
    // HTTPS is on, and the default certificate is listed for hosts no certificate names.
    await waitForText(page, '[aria-label="HTTPS"]', (t) => t.includes("on") && t.includes(`127.0.0.1:${rig.bamboo.httpsPort}`), "HTTPS on, with its bind");
    await waitForText(page, '[aria-labelledby="default-cert-title"]', (t) => t.includes("generated") && t.includes("localhost"), "the generated default certificate");
  });

  test("a certificate expiring within 14 days is marked in words and colour, and named in a warning", async () => {
    await upload("soon", bundleOf(pki.leaf("soon", ["soon.example"], { days: 5 })));
    const page = await rig.open({ hash: "#certificates" });
    const marker = row(page, "soon").locator('[data-expiry="soon"]');
    await marker.waitFor();
    expect(await marker.textContent()).toMatch(/^Expires soon: expires in [45] days$/);
    const colours = await page.evaluate(() => Array.from(document.querySelectorAll("[data-expiry]")).map((el) => `${el.getAttribute("data-expiry")} ${getComputedStyle(el).color}`));
    expect(new Set(colours.filter((c) => c.startsWith("soon"))).size).toBe(1);
    expect(colours.find((c) => c.startsWith("soon"))!.slice(5)).not.toBe(colours.find((c) => c.startsWith("valid"))!.slice(6));
    await waitForText(page, '[data-testid="expiry-banner"]', (t) => t.includes("Expiring within 14 days: soon ("), "the expiry warning");
    // The Appliance tab counts it among the appliance's warnings, and its view lists it.
    await waitForText(page, 'nav a[href="#state"] .count', (t) => Number(t) >= 1, "the warning counted on the Appliance tab");
    await page.evaluate(() => (location.hash = "#state"));
    await waitForText(page, '[aria-labelledby="problems-title"]', (t) => t.includes("certificate api/soon expires on"), "the warning in the appliance view");
    await fetch(`${rig.bamboo.api}/api/certificates/soon`, { method: "DELETE", headers: rig.bamboo.writer });
  });

  test("a certificate from BAMBOO_CERT_DIR offers no removal and says where to remove it", async () => {
    const page = await openAsAdmin("#certificates");
    const files = row(page, "files");
    await waitForText(page, 'tr[data-cert-name="files"] .c-actions', (t) => t.includes("From BAMBOO_CERT_DIR: remove its file there"), "where the file is");
    expect(await files.locator(".c-source").textContent()).toBe("directory");
    expect(await files.getByRole("button").count()).toBe(0);
    // The admin may remove an uploaded one.
    await row(page, "shop").getByRole("button", { name: "Remove certificate shop" }).waitFor();
  });

  test("the admin uploads a certificate picked from a file; it is listed as served and the notice says how HAProxy took it", async () => {
    const page = await openAsAdmin("#certificates");
    const form = page.locator("form").filter({ has: page.locator('textarea[name="pem"]') });
    await form.locator('input[type="file"]').setInputFiles({ name: "Blog.example.PEM", mimeType: "application/x-pem-file", buffer: Buffer.from(bundleOf(pki.leaf("blog", ["blog.example"]))) });
    // The name comes from the file's, the bundle fills the text area.
    await eventually("the picked file read", async () => (await form.getByLabel("Name").inputValue()) === "blog.example");
    expect(await form.getByLabel("PEM bundle").inputValue()).toContain("BEGIN CERTIFICATE");
    await form.getByRole("button", { name: "Upload certificate" }).click();
    // HTTPS is on already, so it is added at run time; a write HAProxy takes after 2 s says "pending" instead.
    await waitForText(page, ".notice", (t) => /^Uploaded blog\.example\. (HAProxy serves it now, changed at run time|Stored, but HAProxy has not taken it yet)/.test(t), "the upload's notice");
    await waitForText(page, 'tr[data-cert-name="blog.example"] .c-served', (t) => t === "served", "blog.example listed as served", 15_000);
    expect(await row(page, "blog.example").locator(".c-apps").textContent()).toBe("/blog");
    expect((await list()).certificates.find((certificate) => certificate.name === "blog.example")?.served).toBe(true);
    // The form is empty again, so the key does not linger on the page.
    expect(await form.getByLabel("PEM bundle").inputValue()).toBe("");
  });

  test("a pasted bundle the appliance refuses shows its message word for word, and nothing is stored", async () => {
    const leafA = pki.leaf("mismatch-a", ["a.example"]);
    const leafB = pki.leaf("mismatch-b", ["b.example"]);
    const pem = `${leafA.certificate}${leafB.key}`;
    const expected = (await (await fetch(`${rig.bamboo.api}/api/certificates/mismatch?dryRun=true`, { method: "PUT", headers: rig.bamboo.writer, body: JSON.stringify({ pem }) })).json()) as { error: string };
    expect(expected.error).toContain("does not belong to the certificate");

    const page = await openAsAdmin("#certificates");
    const form = page.locator("form").filter({ has: page.locator('textarea[name="pem"]') });
    await form.getByLabel("Name").fill("mismatch");
    await form.getByLabel("PEM bundle").fill(pem);
    await form.getByRole("button", { name: "Upload certificate" }).click();
    expect(await waitForText(page, "#upload-error", (t) => t.length > 0, "the refusal")).toBe(expected.error);
    expect(await form.getByLabel("PEM bundle").getAttribute("aria-invalid")).toBe("true");
    // A bad name is the appliance's to refuse too, and says so in its words.
    await form.getByLabel("Name").fill("Bad..name");
    await form.getByRole("button", { name: "Upload certificate" }).click();
    await waitForText(page, "#upload-error", (t) => t.startsWith("certificate name:"), "the name refused");
    expect((await list()).certificates.map((certificate) => certificate.name)).not.toContain("mismatch");
  });

  test("remove asks for a confirmation, then the certificate is gone from the list and from HAProxy", async () => {
    await upload("gone", bundleOf(pki.leaf("gone", ["gone.example"])));
    const page = await openAsAdmin("#certificates");
    await row(page, "gone").getByRole("button", { name: "Remove certificate gone" }).click();
    const confirm = page.getByRole("group", { name: "Confirm removing gone" });
    expect(await confirm.textContent()).toContain("gone.example");
    // Focus lands on the safe answer: Enter keeps the certificate.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Keep it");
    await page.keyboard.press("Enter");
    await confirm.waitFor({ state: "detached" });
    expect((await list()).certificates.map((certificate) => certificate.name)).toContain("gone");
    await row(page, "gone").getByRole("button", { name: "Remove certificate gone" }).click();
    await confirm.getByRole("button", { name: "Yes, remove" }).click();
    await waitForText(page, ".notice", (t) => t.startsWith("Removed gone. HAProxy no longer serves it now"), "the removal's notice");
    await row(page, "gone").waitFor({ state: "detached" });
    expect((await list()).certificates.map((certificate) => certificate.name)).not.toContain("gone");
  });

  test("the viewer sees the certificates but no upload or remove control, and why", async () => {
    const page = await rig.open({ hash: "#certificates" });
    await waitForText(page, ".banner-warn", (t) => t.includes("who may only read") && t.includes("Sign in as the admin"), "the viewer told why");
    await row(page, "shop").waitFor();
    expect(await page.locator('textarea[name="pem"]').count()).toBe(0);
    expect(await page.getByRole("button", { name: "Upload certificate" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /^Remove certificate/ }).count()).toBe(0);
  });

  test("at phone width the certificates view does not scroll sideways", async () => {
    const page = await openAsAdmin("#certificates", 375, 740);
    await row(page, "shop").waitFor();
    await page.locator('textarea[name="pem"]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
  });

  describe("HTTPS settings in the rule editor", () => {
    const editorFor = async (page: Page, id: string) => {
      await appRow(page, id).getByRole("button", { name: new RegExp(`rule for ${id}$`) }).click();
      return page.locator("dialog.modal").filter({ has: page.locator(".rule-form") });
    };

    test("a redirect and HSTS are saved with the rule, other config keys kept, and HTTP then answers 301", async () => {
      // A key some template reads: a save from the page must not drop it.
      const stored = await fetch(`${rig.bamboo.api}/api/services/shop`, { method: "PUT", headers: rig.bamboo.writer, body: JSON.stringify({ Acl: "hdr(host) -i shop.example", Config: { Team: "checkout" } }) });
      expect(stored.status).toBe(200);
      const page = await openAsAdmin("#apps");
      const editor = await editorFor(page, "/shop");
      const redirect = editor.getByLabel("Redirect HTTP to HTTPS (301)");
      expect(await redirect.isChecked()).toBe(false);
      await redirect.check();
      await editor.getByLabel("HSTS (Strict-Transport-Security)").fill("max-age=600");
      await waitForText(page, "dialog .check", (t) => t.startsWith("Accepted"), "the dry run accepting the settings");
      await editor.getByRole("button", { name: "Save rule" }).click();
      await editor.waitFor({ state: "detached" });
      await waitForText(page, ".notice", (t) => t.includes("Saved the rule for /shop"), "the saved notice");

      const service = (await (await fetch(`${rig.bamboo.api}/api/services/shop`, { headers: rig.bamboo.reader })).json()) as { Config: Record<string, string> };
      expect(service.Config).toEqual({ Acl: "hdr(host) -i shop.example", Team: "checkout", RedirectToHttps: "true", Hsts: "max-age=600" });
      const http = () => fetch(`${rig.bamboo.http}/cart?item=1`, { headers: { host: "shop.example" }, redirect: "manual" });
      await eventually("HTTP answered with a redirect", async () => (await http()).status === 301);
      expect((await http()).headers.get("location")).toBe(`https://shop.example:${rig.bamboo.httpsPort}/cart?item=1`);
      // Another app keeps serving HTTP.
      expect((await fetch(`${rig.bamboo.http}/`, { headers: { host: "blog.example" }, redirect: "manual" })).status).toBe(200);

      // Opened again, the editor shows the stored values.
      const again = await editorFor(page, "/shop");
      await eventually("the stored settings shown", async () => await again.getByLabel("Redirect HTTP to HTTPS (301)").isChecked());
      expect(await again.getByLabel("HSTS (Strict-Transport-Security)").inputValue()).toBe("max-age=600");
      // Turned off again, HTTP is served again.
      await again.getByLabel("Redirect HTTP to HTTPS (301)").uncheck();
      await waitForText(page, "dialog .check", (t) => t.startsWith("Accepted"), "the dry run accepting");
      await again.getByRole("button", { name: "Save rule" }).click();
      await again.waitFor({ state: "detached" });
      await eventually("HTTP served again", async () => (await http()).status === 200);
    });

    test("an HSTS value the appliance does not understand is refused next to the HTTPS settings", async () => {
      const page = await openAsAdmin("#apps");
      const editor = await editorFor(page, "/blog");
      const hsts = editor.getByLabel("HSTS (Strict-Transport-Security)");
      await hsts.fill("forever");
      await waitForText(page, "#https-error", (t) => t.includes("Hsts='forever'"), "the refusal next to the HSTS field");
      expect(await hsts.getAttribute("aria-invalid")).toBe("true");
      expect(await editor.getByRole("button", { name: "Save rule" }).count()).toBe(0);
      await page.keyboard.press("Escape");
      await editor.waitFor({ state: "detached" });
      const service = (await (await fetch(`${rig.bamboo.api}/api/services/blog`, { headers: rig.bamboo.reader })).json()) as { Config: Record<string, string> };
      expect(service.Config.Hsts).toBeUndefined();
      expect(rig.pageErrors).toEqual([]);
    });
  });
});
