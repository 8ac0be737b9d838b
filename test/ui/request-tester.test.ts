import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { putService, startUiRig, waitForText, type UiRig } from "./harness.ts";

const HEALTH = [{ protocol: "HTTP", path: "/health", portIndex: 0 }];

/** "Why this answer?" against the real appliance. */
// A browser test waits on several page conditions, each with its own deadline.
setDefaultTimeout(30_000);

describe("the request tester", () => {
  let rig: UiRig;

  beforeAll(async () => {
    rig = await startUiRig({
      setup: async (sim) => {
        await sim.deployApp({ id: "/ghost", instances: 2, healthChecks: HEALTH });
        await sim.deployApp({ id: "/shop", instances: 1, healthChecks: HEALTH });
        sim.setHealth(sim.tasks("/shop")[0]!.id, false);
      },
    });
    await putService(rig, "/ghost", "hdr(host) -i ghost.local");
    await putService(rig, "/shop", "hdr(host) -i shop.local");
  }, 30_000);

  afterAll(async () => {
    await rig?.stop();
  });

  const ask = async (host: string, url = "/") => {
    const page = await rig.open({ hash: "#test" });
    await page.getByLabel("URL").fill(url);
    await page.getByLabel("Host").fill(host);
    await page.getByRole("button", { name: "Explain" }).click();
    await page.locator(".test-answer").waitFor();
    return page;
  };

  test("explains the 503 of an app with no healthy task and names the app", async () => {
    const page = await ask("shop.local", "/cart");
    expect(await page.locator(".test-answer").getAttribute("data-verdict")).toBe("no-healthy-server");
    const answer = (await page.locator(".test-answer").textContent()) ?? "";
    expect(answer).toContain("503");
    expect(answer).toContain("/shop");
    expect(answer).toContain("shop.local");
  });

  test("names the rule, backend and servers that serve a routed request", async () => {
    const page = await ask("ghost.local");
    await waitForText(page, ".test-answer", (t) => t.includes("/ghost"), "the matching app");
    expect(await page.locator(".test-answer").getAttribute("data-verdict")).toBe("routed");
    expect(await page.locator(".test-answer .servers li").count()).toBe(2);
    // Issue 16: an exact host is found by a map lookup, and the page says which entry.
    expect(await page.locator(".test-answer .matched-via").textContent()).toBe("map lookup: key ghost.local in host.map");
  });

  test("says when no rule matches", async () => {
    const page = await ask("nobody.local", "/nothing-here");
    expect(await page.locator(".test-answer").getAttribute("data-verdict")).toBe("no-rule");
  });

  test("points at a header line it cannot read, next to the field", async () => {
    const page = await rig.open({ hash: "#test" });
    await page.getByLabel("Other headers").fill("not a header");
    await page.getByRole("button", { name: "Explain" }).click();
    await waitForText(page, "#headers-error", (t) => t.includes("Line 1"), "the header error");
  });
});
