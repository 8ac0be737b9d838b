import { describe, expect, test } from "bun:test";
import { serveUi } from "../../src/http/ui/serve.ts";

const get = (path: string) => serveUi(new Request(`http://bamboo.test${path}`));

/** The asset handler, without a browser: what the integrator mounts at / and /ui/*. */
describe("serving the bundled UI", () => {
  test("the page names its hashed script and stylesheet and is revalidated", async () => {
    const page = get("/");
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toMatch(/src="\/ui\/app-[0-9a-f]{12}\.js"/);
    expect(html).toMatch(/href="\/ui\/app-[0-9a-f]{12}\.css"/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  test("the assets are served with their types and cached for good", async () => {
    const html = await get("/").text();
    const js = get(/src="([^"]+)"/.exec(html)![1]!);
    const css = get(/href="(\/ui\/[^"]+\.css)"/.exec(html)![1]!);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await js.text()).length).toBeGreaterThan(10_000);
    expect(css.headers.get("content-type")).toContain("text/css");
    // System fonts only: nothing is fetched from elsewhere.
    expect(await css.text()).not.toMatch(/@font-face|url\(\s*["']?https?:/);
  });

  test("an unknown asset is a 404 in JSON", async () => {
    const response = get("/ui/app-000000000000.js");
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toContain("/ui/app-000000000000.js");
  });
});
