import { describe, expect, test } from "bun:test";
import { contentTypeRefusal, crossSiteRefusal } from "../../src/http/cross-site.ts";

const request = (method: string, headers: Record<string, string>) => new Request("http://bamboo.internal:8000/api/services", { method, headers: { host: "bamboo.internal:8000", ...headers } });

describe("crossSiteRefusal", () => {
  test.each([
    ["a script (no Origin, no Sec-Fetch-Site)", "POST", {}, null],
    ["the appliance's own page", "POST", { origin: "http://bamboo.internal:8000", "sec-fetch-site": "same-origin" }, null],
    ["a URL typed by the user", "DELETE", { "sec-fetch-site": "none" }, null],
    ["a read from anywhere", "GET", { origin: "http://evil.example", "sec-fetch-site": "cross-site" }, null],
    ["another site, by Sec-Fetch-Site", "POST", { "sec-fetch-site": "cross-site" }, 403],
    ["a sibling site", "PUT", { "sec-fetch-site": "same-site" }, 403],
    ["another origin, by Origin alone (an older browser)", "DELETE", { origin: "http://evil.example" }, 403],
    ["another port of the same host", "POST", { origin: "http://bamboo.internal:9999" }, 403],
    ["an opaque origin (a sandboxed frame, a file)", "POST", { origin: "null" }, 403],
  ] as const)("%s", (_name, method, headers, status) => {
    const refusal = crossSiteRefusal(request(method, headers));
    expect(refusal?.status ?? null).toBe(status);
  });
});

describe("contentTypeRefusal", () => {
  test.each([
    ["JSON", "POST", "application/json", null],
    ["JSON with a charset", "PUT", "application/json; charset=utf-8", null],
    ["text/plain (what a no-cors fetch may send)", "POST", "text/plain;charset=UTF-8", 415],
    ["a form (what curl -d sends)", "POST", "application/x-www-form-urlencoded", 415],
    ["no type", "PUT", "", 415],
    ["a DELETE, which carries no body", "DELETE", "", null],
  ] as const)("%s", (_name, method, type, status) => {
    const refusal = contentTypeRefusal(request(method, type === "" ? {} : { "content-type": type }));
    expect(refusal?.status ?? null).toBe(status);
  });
});
