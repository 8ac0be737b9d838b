/**
 * Retakes the README's screenshots (docs/ui-*.png) from the real dist/bamboo, the Marathon
 * simulator and Debian's Chromium, so the pictures show what the appliance really serves.
 * Run after `bun scripts/build.ts`: node_modules/.bin/bun scripts/screenshots.ts
 */
import type { Page } from "playwright-core";
import { TEST_API_PASSWORD } from "../test/support/appliance.ts";
import { appRow, putService, startUiRig, waitForText } from "../test/ui/harness.ts";

const HEALTH = [{ protocol: "HTTP", path: "/health", portIndex: 0 }];
const docs = new URL("../docs/", import.meta.url).pathname;

const rig = await startUiRig({
  setup: async (sim) => {
    await sim.deployApp({ id: "/shop/web", instances: 3, healthChecks: HEALTH });
    await sim.deployApp({ id: "/shop/api", instances: 2, healthChecks: HEALTH });
    await sim.deployApp({ id: "/blog", instances: 2, healthChecks: HEALTH });
    await sim.deployApp({ id: "/ghost", instances: 2, healthChecks: HEALTH });
    await sim.deployApp({ id: "/payments", instances: 1, healthChecks: HEALTH });
    await sim.deployApp({ id: "/reports", instances: 1 });
    sim.setHealth(sim.tasks("/shop/web")[0]!.id, false);
    sim.setHealth(sim.tasks("/payments")[0]!.id, false);
  },
});
try {
  await putService(rig, "/shop/web", "hdr(host) -i shop.example.com");
  await putService(rig, "/shop/api", "path_beg -i /api");
  await putService(rig, "/ghost", "hdr(host) -i ghost.example.com");
  await putService(rig, "/payments", "hdr(host) -i pay.example.com");
  await putService(rig, "/archive", "hdr(host) -i archive.example.com");

  const signedIn = async (hash = "", width = 1280, height = 800): Promise<Page> => {
    const page = await rig.open({ hash, width, height });
    await page.evaluate((password) => sessionStorage.setItem("bamboo.api-credentials", JSON.stringify({ user: "admin", password })), TEST_API_PASSWORD);
    return page;
  };

  const apps = await signedIn();
  await waitForText(apps, ".result-count", (t) => t.startsWith("6 apps"), "six apps listed", 15_000);
  await waitForText(apps, 'tr[data-app-id="/ghost"] .c-servers', (t) => t.includes("2 UP"), "HAProxy's view", 15_000);
  await apps.screenshot({ path: `${docs}ui-apps.png` });

  await appRow(apps, "/blog").getByRole("button", { name: /rule for \/blog$/ }).click();
  const editor = apps.locator("dialog.modal").filter({ has: apps.locator(".rule-form") });
  await editor.getByLabel("Rule (HAProxy ACL)").fill("hdr(host) -i shop.example.com");
  await editor.getByRole("button", { name: "Check rule" }).click();
  await waitForText(apps, "dialog .field-error", (t) => t.includes("/shop/web"), "the conflict explained", 15_000);
  await apps.screenshot({ path: `${docs}ui-rule-editor.png` });

  const tester = await signedIn("#test");
  await tester.getByLabel("URL").fill("/checkout");
  await tester.getByLabel("Host").fill("pay.example.com");
  await tester.getByRole("button", { name: "Explain" }).click();
  await waitForText(tester, "main", (t) => t.includes("503"), "the 503 explained", 15_000);
  await tester.screenshot({ path: `${docs}ui-request-tester.png` });

  const state = await signedIn("#state");
  await waitForText(state, "main", (t) => t.includes("HAProxy"), "the appliance state", 15_000);
  await state.screenshot({ path: `${docs}ui-appliance.png` });

  const phone = await signedIn("", 390, 844);
  await waitForText(phone, "main", (t) => t.includes("/shop/web"), "apps on a phone", 15_000);
  await phone.screenshot({ path: `${docs}ui-phone.png` });
  console.log(`screenshots written to ${docs}`);
} finally {
  await rig.stop();
}
