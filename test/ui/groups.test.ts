import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eventually } from "../support/appliance.ts";
import { startUiRig, waitForText, type UiRig } from "./harness.ts";

/** An instance with BAMBOO_GROUPS says under its apps how many Marathon apps it leaves to others; a rule from labels is marked. */
setDefaultTimeout(30_000);

describe("the apps overview of an instance serving some groups", () => {
  let rig: UiRig;

  beforeAll(async () => {
    rig = await startUiRig({
      env: { BAMBOO_GROUPS: "external" },
      setup: async (sim) => {
        await sim.deployApp({ id: "/shop", instances: 1, labels: { HAPROXY_GROUP: "external", HAPROXY_0_VHOST: "shop.example" } });
        await sim.deployApp({ id: "/billing", instances: 1, labels: { HAPROXY_GROUP: "internal" } });
        await sim.deployApp({ id: "/reports", instances: 1 });
      },
    });
    // A rule for an app served elsewhere is not an orphan: Marathon has the app. Stored, and
    // in the state HAProxy runs (its template data lists every stored rule), before the page opens.
    const stored = await fetch(`${rig.bamboo.api}/api/services`, { method: "POST", headers: { "content-type": "application/json", ...rig.authHeaders() }, body: JSON.stringify({ id: "/billing", acl: "hdr(host) -i billing.local" }) });
    expect(stored.status).toBe(200);
    await eventually("the rule in the running state", async () => {
      const state = (await (await fetch(`${rig.bamboo.api}/api/state`, { headers: rig.bamboo.reader })).json()) as { Services: Record<string, unknown> };
      return "/billing" in state.Services;
    });
  }, 30_000);

  afterAll(async () => {
    await rig?.stop();
  });

  test("lists only its apps, counts the others, and lists no rule of theirs as an orphan", async () => {
    const page = await rig.open();
    await waitForText(page, ".result-count", (t) => t.startsWith("1 app shown of 1"), "one app listed");
    await waitForText(page, ".elsewhere", (t) => t.includes("2 more apps in Marathon belong to other groups") && t.includes("external"), "the others counted");
    expect(await page.locator('tr[data-app-id="/billing"]').count()).toBe(0);
    // Its rule comes from marathon-lb's label, and the row says so.
    const rule = page.locator('tr[data-app-id="/shop"] .c-rule');
    expect(await rule.textContent()).toContain("hdr(host) -i shop.example");
    expect(await rule.locator(".tag").textContent()).toBe("labels");
    expect(await page.getByText("billing.local").count()).toBe(0);
  });
});
