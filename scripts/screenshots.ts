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
  // Samples every second, so a minute of traffic fills the charts before the pictures.
  env: { BAMBOO_TRAFFIC_INTERVAL: "1s" },
  setup: async (sim) => {
    await sim.deployApp({ id: "/shop/web", instances: 3, healthChecks: HEALTH, ports: [{ kind: "http", name: "http" }, { kind: "tcp", name: "admin" }] });
    await sim.deployApp({ id: "/shop/api", instances: 2, healthChecks: HEALTH });
    await sim.deployApp({ id: "/blog", instances: 2, healthChecks: HEALTH });
    await sim.deployApp({ id: "/ghost", instances: 2, healthChecks: HEALTH });
    await sim.deployApp({ id: "/payments", instances: 1, healthChecks: HEALTH });
    await sim.deployApp({ id: "/reports", instances: 1 });
    sim.setHealth(sim.tasks("/shop/web")[0]!.id, false);
    sim.setHealth(sim.tasks("/payments")[0]!.id, false);
  },
});
const traffic = startTraffic(rig.bamboo.http);
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

  await traffic.warm;
  const apps = await signedIn();
  await waitForText(apps, ".result-count", (t) => t.startsWith("6 apps"), "six apps listed", 15_000);
  await waitForText(apps, 'tr[data-app-id="/shop/web"]', (t) => /[1-9][\d.]* req\/s/.test(t), "traffic on /shop/web", 30_000);
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

  const appPage = await signedIn("#/apps/shop/web", 1280, 1000);
  await waitForText(appPage, "main", (t) => t.includes("10.") || t.includes("127.0.0.1"), "the per-server split", 30_000);
  await appPage.screenshot({ path: `${docs}ui-app-traffic.png` });

  const phone = await signedIn("", 390, 844);
  await waitForText(phone, "main", (t) => t.includes("/shop/web"), "apps on a phone", 15_000);
  await phone.screenshot({ path: `${docs}ui-phone.png` });
  console.log(`screenshots written to ${docs}`);
} finally {
  await traffic.stop();
  await rig.stop();
}

/**
 * Requests to three apps while the pictures are taken: /payments' one task is unhealthy, so
 * its requests are 503s. Bounded in count and time; `warm` resolves after the first minute.
 */
function startTraffic(base: string) {
  const targets = [
    { host: "shop.example.com", path: "/", weight: 6 },
    { host: "localhost", path: "/api/orders", weight: 3 },
    { host: "pay.example.com", path: "/checkout", weight: 1 },
  ];
  let stopped = false;
  const started = performance.now();
  const deadline = started + 5 * 60_000;
  const done = (async () => {
    for (let sent = 0; !stopped && sent < 100_000 && performance.now() < deadline; sent++) {
      // A rate that rises and falls over the minute, so the charts show a shape.
      const wave = 1 + Math.sin((performance.now() - started) / 9_000);
      for (const { host, path, weight } of targets) {
        if (sent % 10 >= weight * (0.5 + wave / 2)) continue;
        await fetch(`${base}${path}`, { headers: { host } }).then((r) => r.arrayBuffer()).catch(() => undefined);
      }
      await Bun.sleep(15);
    }
  })();
  return {
    warm: Bun.sleep(60_000),
    async stop() {
      stopped = true;
      await done;
    },
  };
}
