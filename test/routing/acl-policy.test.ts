import { describe, expect, test } from "bun:test";
import { parseAcl } from "../../src/routing/acl/parse.ts";
import { checkAgainstPolicy, DEFAULT_POLICY, parsePolicy, type AclPolicy } from "../../src/routing/acl/policy.ts";

function policy(text: string): AclPolicy {
  const parsed = parsePolicy(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.policy;
}

function verdict(acl: string, policyText: string) {
  const parsed = parseAcl(acl);
  if (!parsed.ok) throw new Error(parsed.message);
  return checkAgainstPolicy(parsed.rule, policy(policyText));
}

describe("parsePolicy", () => {
  test.each([
    ["an empty setting is the default policy", "", "default"],
    ["blank space is the default policy", "   ", "default"],
    ["words are case-insensitive and spaces around terms are ignored", " Host , PATH ", "Host,PATH"],
    ["fetch keywords are terms", "hdr(host),path_beg", "hdr(host),path_beg"],
  ])("%s", (_name, text, canonical) => {
    expect(policy(text).text).toBe(canonical);
  });

  test("the default policy allows host, path and header rules but no regex", () => {
    expect(policy("")).toBe(DEFAULT_POLICY);
    expect(DEFAULT_POLICY.regex).toBe(false);
    expect(DEFAULT_POLICY.grants.map((grant) => grant.subject)).toEqual(["host", "path", "header"]);
  });

  test.each([
    ["an unknown word", "hosts", "term 1 of the ACL policy, 'hosts': not a policy word or a fetch keyword bamboo knows; policy words are default, host, path"],
    ["an empty term between commas", "path,,host", "term 2 of the ACL policy is empty"],
    ["a fetch that can never be allowed", "always_true", "always_true can never be allowed"],
    ["a wildcard on a fetch without names", "path(*)", "takes no argument"],
    ["a converter, which the comma makes a term of its own", "hdr(host),lower", "term 2 of the ACL policy, 'lower': not a policy word"],
  ])("refuses %s: %p", (_name, text, message) => {
    const parsed = parsePolicy(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(message);
  });
});

describe("checkAgainstPolicy", () => {
  test.each([
    ["the default allows an exact host", "hdr(host) -i ghost.local", ""],
    ["the default allows every host method", "hdr_end(host) -i .example.com", "default"],
    ["the default allows a host -m form", "hdr(host) -m dom -i example.com", "default"],
    ["the default allows path prefixes", "path_beg -i /api", "default"],
    ["the default allows path directories", "path_dir /api", "default"],
    ["the default allows exact paths", "path /health", "default"],
    ["the default allows any header", "hdr(x-tenant) acme", "default"],
    ["the default allows header presence", "hdr(x-canary) -m found", "default"],
    ["'regex' allows path regexes", "path_reg ^/api/v[0-9]+", "default,regex"],
    ["'regex' allows host regexes through -m reg", "hdr(host) -m reg ^a\\.", "default,regex"],
    ["a _reg keyword allows that regex alone", "path_reg ^/a", "path_reg"],
    ["hdr(host) allows host methods", "hdr_beg(host) -i api.", "hdr(host),path_beg"],
    ["a named header allows that header", "hdr(x-tenant) acme", "hdr(x-tenant)"],
    ["hdr(*) allows any header", "hdr(x-anything) acme", "hdr(*)"],
    ["'all' allows client networks", "src 10.0.0.0/8", "all"],
    ["'param' allows URL parameters", "url_param(tenant) acme", "param"],
    ["'base' allows host and path together", "base_beg ghost.local/api", "base"],
  ])("%s: %p under %p", (_name, acl, policyText) => {
    expect(verdict(acl, policyText)).toEqual({ ok: true });
  });

  test.each([
    ["'path' alone refuses host rules", "hdr(host) -i ghost.local", "path", "hdr(host) rules are not allowed by the ACL policy 'path': allowed are path, path_beg, path_end, path_dir"],
    ["'path' alone refuses header rules", "hdr(x-tenant) acme", "path", "hdr(x-tenant) rules are not allowed"],
    ["the default refuses path regexes and says how to allow them", "path_reg ^/api", "default", "regex matching (path_reg) is not allowed by the ACL policy 'default': add 'regex' to the policy, or use path, path_beg"],
    ["the default refuses -m reg", "hdr(host) -m reg ^a", "default", "regex matching (hdr_reg(host)) is not allowed"],
    ["the default refuses client networks", "src 10.0.0.0/8", "default", "src rules are not allowed"],
    ["the default refuses URL parameters", "url_param(id) 1", "default", "url_param(id) rules are not allowed"],
    ["a path_beg-only policy refuses path_end", "path_end .js", "hdr(host),path_beg", "path_end rules are not allowed by the ACL policy 'hdr(host),path_beg': allowed are hdr(host), hdr_beg(host)"],
    ["a path_reg grant does not allow host regexes", "hdr_reg(host) a", "path_reg", "allowed are path_reg"],
    ["a named header does not allow another", "hdr(x-other) a", "hdr(x-tenant)", "allowed are hdr(x-tenant)"],
    ["hdr(*) does not allow the host", "hdr(host) -i a.com", "hdr(*)", "hdr(host) rules are not allowed"],
    ["the default refuses header length matching", "hdr_len(x-a) 3", "default", "hdr_len(x-a) rules are not allowed"],
  ])("%s: %p under %p", (_name, acl, policyText, message) => {
    const result = verdict(acl, policyText);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });
});
