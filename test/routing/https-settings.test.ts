import { describe, expect, test } from "bun:test";
import { appHttpsSettingProblems, httpsSettingProblems, httpsSettingsOf, NO_HTTPS_SETTINGS } from "../../src/routing/https-settings.ts";

const app = (labels: Record<string, string> = {}, env: Record<string, string> = {}) => ({ labels, env });

describe("httpsSettingsOf", () => {
  test.each<[string, ReturnType<typeof app>, Record<string, string> | undefined, { redirect: boolean; hsts: string }]>([
    ["nothing set", app(), undefined, NO_HTTPS_SETTINGS],
    ["the service's switch", app(), { RedirectToHttps: "true" }, { redirect: true, hsts: "" }],
    ["marathon-lb's label", app({ HAPROXY_0_REDIRECT_TO_HTTPS: "true" }), undefined, { redirect: true, hsts: "" }],
    ["bamboo's env", app({}, { BAMBOO_REDIRECT_TO_HTTPS: "yes" }), undefined, { redirect: true, hsts: "" }],
    ["marathon-lb's HSTS label", app({ HAPROXY_0_USE_HSTS: "true" }), undefined, { redirect: false, hsts: "max-age=31536000" }],
    ["the service wins over the app", app({ BAMBOO_REDIRECT_TO_HTTPS: "true" }), { RedirectToHttps: "false" }, NO_HTTPS_SETTINGS],
    ["a value not understood counts as unset", app({ BAMBOO_REDIRECT_TO_HTTPS: "true" }), { RedirectToHttps: "maybe" }, { redirect: true, hsts: "" }],
    ["HSTS switched on gets a year", app(), { Hsts: "true" }, { redirect: false, hsts: "max-age=31536000" }],
    ["HSTS as written, flags normalised", app({ BAMBOO_HSTS: "max-age=600 ; includesubdomains; PRELOAD" }), undefined, { redirect: false, hsts: "max-age=600; includeSubDomains; preload" }],
    ["HSTS with anything else is not taken", app({ BAMBOO_HSTS: 'max-age=600"\n    stats enable' }), undefined, NO_HTTPS_SETTINGS],
  ])("%s", (_name, given, config, expected) => {
    expect(httpsSettingsOf(given, config)).toEqual(expected);
  });
});

describe("problems", () => {
  test("a service config's values that are not understood are named with what is expected", () => {
    expect(httpsSettingProblems({ RedirectToHttps: "maybe", Hsts: "forever", Other: "x" })).toEqual([
      "RedirectToHttps='maybe': expected true or false",
      "Hsts='forever': expected true, false, or a header value such as max-age=31536000; includeSubDomains",
    ]);
    expect(httpsSettingProblems({ RedirectToHttps: "true", Hsts: "max-age=1" })).toEqual([]);
  });

  test("an app's labels and env are named by where they are", () => {
    expect(appHttpsSettingProblems(app({ HAPROXY_0_REDIRECT_TO_HTTPS: "sure" }, { BAMBOO_HSTS: "max-age=x" }))).toEqual([
      "label HAPROXY_0_REDIRECT_TO_HTTPS='sure' ignored: expected true or false",
      "env BAMBOO_HSTS='max-age=x' ignored: expected true, false or a value such as max-age=31536000",
    ]);
  });
});
