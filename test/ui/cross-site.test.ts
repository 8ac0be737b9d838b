import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { TEST_API_PASSWORD } from "../support/appliance.ts";
import { launchChromium, startUiBackend, storedServices, type UiBackend } from "./harness.ts";

setDefaultTimeout(30_000);

/**
 * A page on another site, opened in a browser that holds the operator's Basic credentials
 * for the appliance (as a browser does once they were typed into its prompt), tries every
 * write a page can make without the appliance's consent. Nothing may be stored.
 */
describe("writes from another site", () => {
  let backend: UiBackend;
  let browser: Browser;
  let evil: ReturnType<typeof Bun.serve>;

  beforeAll(async () => {
    backend = await startUiBackend({ setup: async (sim) => void (await sim.deployApp({ id: "/ghost", instances: 1 })) });
    browser = await launchChromium();
    const target = `${backend.bamboo.api}/api/services`;
    const body = JSON.stringify({ id: "/ghost", acl: "hdr(host) -i stolen.example" });
    // localhost vs 127.0.0.1: another site as far as the browser is concerned.
    evil = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(
          `<!doctype html><body><form id="f" method="POST" action="${target}" enctype="text/plain"><input name='${body.slice(0, -2)}' value='"}'></form>
<script>
  window.done = Promise.allSettled([
    fetch(${JSON.stringify(target)}, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: ${JSON.stringify(body)} }),
    fetch(${JSON.stringify(target)}, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "application/x-www-form-urlencoded" }, body: ${JSON.stringify(body)} }),
  ]).then(() => { document.getElementById("f").submit(); });
</script></body>`,
          { headers: { "content-type": "text/html" } },
        ),
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    evil?.stop(true);
    await backend?.stop();
  });

  test("a signed-in browser visiting another site stores nothing", async () => {
    const context = await browser.newContext({ httpCredentials: { username: "admin", password: TEST_API_PASSWORD, origin: backend.bamboo.api, send: "always" } });
    try {
      const page = await context.newPage();
      // The same browser may write from the appliance's own origin: the credentials work.
      await page.goto(`${backend.bamboo.api}/api/state`);
      expect(await page.textContent("body")).toContain("Apps");
      const refused = new Set<number>();
      page.on("response", (response) => {
        if (response.url().startsWith(`${backend.bamboo.api}/api/services`)) refused.add(response.status());
      });
      await page.goto(`http://localhost:${evil.port}/`);
      await page.waitForURL(`${backend.bamboo.api}/api/services`, { timeout: 10_000 });
      expect(await page.textContent("body")).toContain("refused");
      expect([...refused].every((status) => status === 403 || status === 415)).toBe(true);
    } finally {
      await context.close();
    }
    expect(await storedServices(backend)).toEqual({});
  });
});
