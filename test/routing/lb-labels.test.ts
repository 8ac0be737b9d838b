import { describe, expect, test } from "bun:test";
import { ignoredLabels, labelRuleOf, routedPortIndexes } from "../../src/routing/lb-labels.ts";

describe("labelRuleOf: marathon-lb's HAPROXY_0_VHOST and HAPROXY_0_PATH as a rule", () => {
  test.each([
    ["no label", {}, null],
    ["one host, lower-cased", { HAPROXY_0_VHOST: "Shop.Example.com" }, { ok: true, acl: "hdr(host) -i shop.example.com", from: "HAPROXY_0_VHOST", parts: ["hdr(host) -i shop.example.com"] }],
    ["several hosts, blanks and repeats dropped", { HAPROXY_0_VHOST: "a.example, b.example,,a.example" }, { ok: true, acl: "hdr(host) -i a.example b.example", from: "HAPROXY_0_VHOST", parts: ["hdr(host) -i a.example b.example"] }],
    ["a path alone", { HAPROXY_0_PATH: "/api" }, { ok: true, acl: "path_beg -i /api", from: "HAPROXY_0_PATH", parts: ["path_beg -i /api"] }],
    ["hosts and a path", { HAPROXY_0_VHOST: "a.example,b.example", HAPROXY_0_PATH: "/api" }, { ok: true, acl: "base_beg -i a.example/api b.example/api", from: "HAPROXY_0_VHOST and HAPROXY_0_PATH", parts: ["base_beg -i a.example/api", "base_beg -i b.example/api"] }],
    ["a host with the path / is the host", { HAPROXY_0_VHOST: "a.example", HAPROXY_0_PATH: "/" }, { ok: true, acl: "hdr(host) -i a.example", from: "HAPROXY_0_VHOST", parts: ["hdr(host) -i a.example"] }],
    ["another port's labels give no rule here", { HAPROXY_1_VHOST: "a.example" }, null],
  ])("%s", (_name, labels, rule) => {
    expect(labelRuleOf(labels)).toEqual(rule as never);
  });

  test("port n's labels give port n's rule, named by its labels", () => {
    expect(labelRuleOf({ HAPROXY_0_VHOST: "a.example", HAPROXY_2_VHOST: "b.example", HAPROXY_2_PATH: "/x" }, 2)).toEqual({
      ok: true,
      acl: "base_beg -i b.example/x",
      from: "HAPROXY_2_VHOST and HAPROXY_2_PATH",
      parts: ["base_beg -i b.example/x"],
    });
    expect(labelRuleOf({ HAPROXY_2_PATH: "x" }, 2)).toEqual({ ok: false, message: "label HAPROXY_2_PATH: 'x' holds no leading '/'; a path prefix such as /api is expected" });
  });

  test.each([
    ["a host with a space", { HAPROXY_0_VHOST: "a.example,b example" }, "label HAPROXY_0_VHOST: 'b example' is not a host name"],
    ["a host with a port", { HAPROXY_0_VHOST: "a.example:8080" }, "'a.example:8080' is not a host name"],
    ["a wildcard", { HAPROXY_0_VHOST: "*.example" }, "'*.example' is not a host name"],
    ["a path without its slash", { HAPROXY_0_PATH: "api" }, "label HAPROXY_0_PATH: 'api' holds no leading '/'"],
    ["a path with a blank", { HAPROXY_0_PATH: "/a b" }, "the character ' ' (space, U+0020)"],
    ["a path with a control character", { HAPROXY_0_PATH: "/a\u0001" }, "U+0001 (a control character)"],
    ["more hosts than one app may route", { HAPROXY_0_VHOST: Array.from({ length: 101 }, (_, i) => `h${i}.example`).join(",") }, "names 101 hosts; at most 100"],
    ["a path longer than routed", { HAPROXY_0_PATH: `/${"a".repeat(1024)}` }, "is 1025 characters long; at most 1024"],
  ])("refuses %s, naming the label and what is wrong", (_name, labels, message) => {
    const rule = labelRuleOf(labels);
    expect(rule?.ok).toBe(false);
    expect(rule && !rule.ok ? rule.message : "").toContain(message);
  });
});

describe("ignoredLabels", () => {
  test("names marathon-lb's labels bamboo does not act on, and only those", () => {
    expect(
      ignoredLabels({ HAPROXY_GROUP: "external", HAPROXY_0_VHOST: "a", HAPROXY_0_PATH: "/", HAPROXY_0_REDIRECT_TO_HTTPS: "true", HAPROXY_0_STICKY: "true", HAPROXY_0_SSL_CERT: "/c.pem", HAPROXY_1_VHOST: "b", HAPROXY_0_BACKEND_HEAD: "x", OWNER: "team" }),
    ).toEqual(["HAPROXY_0_BACKEND_HEAD", "HAPROXY_0_SSL_CERT"]);
  });
});

describe("routedPortIndexes", () => {
  test("the later ports with a VHOST or PATH label, in order; port 0 and blank labels are not among them", () => {
    expect(routedPortIndexes({ HAPROXY_0_VHOST: "a", HAPROXY_3_PATH: "/p", HAPROXY_1_VHOST: "b", HAPROXY_1_PATH: "/q", HAPROXY_2_VHOST: " ", HAPROXY_01_VHOST: "c" })).toEqual([1, 3]);
  });
});
