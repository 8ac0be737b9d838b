import { describe, expect, test } from "bun:test";
import { namesHost, ruleHosts } from "../../src/routing/rule-hosts.ts";

describe("ruleHosts", () => {
  test.each([
    ["hdr(host) -i Shop.example www.shop.example", ["shop.example", "www.shop.example"]],
    ["hdr(host) -i shop.example:8080", ["shop.example"]],
    ["base shop.example/api", ["shop.example"]],
    ["base_beg shop.example/api", ["shop.example"]],
    ["base_beg shop.exa", []],
    ["hdr_end(host) -i .example.com", []],
    ["hdr_reg(host) -i ^shop", []],
    ["path_beg -i /shop", []],
    ["hdr(x-tenant) shop.example", []],
    ["not a rule (", []],
  ])("%s names %p", (acl, hosts) => {
    expect(ruleHosts(acl)).toEqual(hosts);
  });
});

describe("namesHost", () => {
  test.each<[string[], string, boolean]>([
    [["shop.example"], "shop.example", true],
    [["shop.example"], "SHOP.example", true],
    [["shop.example"], "www.shop.example", false],
    [["*.shop.example"], "www.shop.example", true],
    [["*.shop.example"], "a.b.shop.example", false],
    [["*.shop.example"], "shop.example", false],
    [["*.shop.example"], "evilshop.example", false],
    [["other.example", "*.shop.example"], "api.shop.example", true],
  ])("%p names %s: %p", (names, host, expected) => {
    expect(namesHost(names, host)).toBe(expected);
  });
});
