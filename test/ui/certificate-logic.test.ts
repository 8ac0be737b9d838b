import { describe, expect, test } from "bun:test";
import { ApiError } from "../../src/http/ui/client/api.ts";
import { appliedWords, expiryOf, nameFromFile } from "../../src/http/ui/client/certificates/certificate-words.ts";
import { formKey, refusal } from "../../src/http/ui/client/rules/check-result.ts";
import { configWith, httpsInputsOf } from "../../src/http/ui/client/rules/https-config.ts";

/** The pure parts of the certificates view and the rule editor's HTTPS settings (issue 18). */

describe("a certificate's expiry in words", () => {
  const now = Date.parse("2026-11-29T12:00:00Z");

  test("the appliance's flags decide the marker; the page counts the days and shows the UTC date", () => {
    expect(expiryOf({ notAfter: "2027-02-27T12:00:00.000Z", expired: false, expiresSoon: false }, now)).toEqual({ state: "valid", date: "2027-02-27", words: "valid for 90 days" });
    expect(expiryOf({ notAfter: "2026-12-04T11:00:00.000Z", expired: false, expiresSoon: true }, now)).toEqual({ state: "soon", date: "2026-12-04", words: "expires in 4 days" });
    expect(expiryOf({ notAfter: "2026-11-28T12:00:00.000Z", expired: true, expiresSoon: false }, now)).toEqual({ state: "expired", date: "2026-11-28", words: "expired 1 day ago" });
    expect(expiryOf({ notAfter: "2026-11-29T18:00:00.000Z", expired: false, expiresSoon: true }, now).words).toBe("expires today");
  });

  test("how HAProxy took a write, as X-Bamboo-Applied says", () => {
    expect(appliedWords("runtime", "upload")).toBe("HAProxy serves it now, changed at run time without a reload.");
    expect(appliedWords("reload", "removal")).toBe("HAProxy no longer serves it now, after a reload.");
    expect(appliedWords("pending", "upload")).toContain("has not taken it yet");
    expect(appliedWords(null, "upload")).toBe("Stored.");
  });

  test("a picked file's name becomes a certificate name the API accepts", () => {
    expect(nameFromFile("Shop.Example.COM.pem")).toBe("shop.example.com");
    expect(nameFromFile("my cert (2024).crt")).toBe("my-cert-2024-");
    expect(nameFromFile("..hidden..pem")).toBe("hidden.");
    expect(nameFromFile("x".repeat(80))).toHaveLength(64);
  });
});

describe("the rule editor's HTTPS settings in the service config", () => {
  test("the fields show the stored values, the switch read as the appliance reads it", () => {
    expect(httpsInputsOf({ Acl: "x", RedirectToHttps: "yes", Hsts: "max-age=600" })).toEqual({ redirect: true, hsts: "max-age=600" });
    expect(httpsInputsOf({})).toEqual({ redirect: false, hsts: "" });
  });

  test("untouched fields keep every stored key as spelled; changed ones are written", () => {
    const stored = { Acl: "hdr(host) -i shop.example", Team: "checkout", RedirectToHttps: "1" };
    expect(configWith(stored, httpsInputsOf(stored))).toEqual({ Team: "checkout", RedirectToHttps: "1" });
    expect(configWith(stored, { redirect: false, hsts: " max-age=600 " })).toEqual({ Team: "checkout", RedirectToHttps: "false", Hsts: "max-age=600" });
    expect(configWith({ Hsts: "true" }, { redirect: false, hsts: "" })).toEqual({});
  });

  test("a setting the appliance does not understand goes next to the HTTPS fields", () => {
    const key = formKey("/shop", "hdr(host) -i shop.example", "{}");
    expect(refusal(key, new ApiError(400, "/shop: Hsts='forever': expected true, false, or a header value"))).toMatchObject({ field: "https" });
    expect(refusal(key, new ApiError(400, "/shop: RedirectToHttps='maybe': expected true or false"))).toMatchObject({ field: "https" });
  });
});
