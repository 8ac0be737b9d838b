import { expect, test } from "bun:test";
import { parseServiceWrite } from "../../src/http/service-request.ts";

test.each([
  ["lower-case keys", { id: "/a/b", acl: "hdr(host) -i x" }, undefined, { id: "/a/b", acl: "hdr(host) -i x", config: { Acl: "hdr(host) -i x" } }],
  ["Bamboo's capitalised keys", { Id: "a/b", Acl: "path_beg /x", Config: { arb: "barb" } }, undefined, { id: "/a/b", acl: "path_beg /x", config: { Acl: "path_beg /x", arb: "barb" } }],
  ["ACL given only in config", { id: "app", config: { Acl: "hdr(host) -i y" } }, undefined, { id: "/app", acl: "hdr(host) -i y", config: { Acl: "hdr(host) -i y" } }],
  ["id taken from the URL", { acl: "hdr(host) -i z" }, "/grp/app1", { id: "/grp/app1", acl: "hdr(host) -i z", config: { Acl: "hdr(host) -i z" } }],
  ["same id in URL and body", { id: "/grp/app1", acl: "hdr(host) -i z" }, "grp/app1", { id: "/grp/app1", acl: "hdr(host) -i z", config: { Acl: "hdr(host) -i z" } }],
])("accepts %s", (_name, body, urlId, expected) => {
  expect(parseServiceWrite(body, urlId)).toEqual({ ok: true, write: expected });
});

test.each([
  ["a non-object", [1, 2], undefined, "expected a JSON object"],
  ["no id", { acl: "x" }, undefined, "can not use empty ID"],
  ["no acl", { id: "/a" }, undefined, "'acl' is required"],
  ["different ids", { id: "/a", acl: "x" }, "/b", "differs from the id in the URL"],
  ["a non-string config value", { id: "/a", acl: "x", config: { n: 1 } }, undefined, "config 'n' must be a string"],
  ["an unknown field", { id: "/a", acl: "x", weight: 3 }, undefined, "unknown field 'weight'"],
  ["whitespace in the id", { id: "/a b", acl: "x" }, undefined, "whitespace or a control character"],
])("refuses %s", (_name, body, urlId, message) => {
  const parsed = parseServiceWrite(body, urlId);
  expect(parsed.ok).toBe(false);
  if (!parsed.ok) expect(parsed.message).toContain(message);
});

test.each([
  ["a backslash", "/a\\E", "contains '\\'"],
  ["a colon", "/a:b", "contains ':'"],
  ["a trailing slash", "/a/", "ends with '/'"],
])("refuses an id with %s, which HAProxy cannot use in a name", (_name, id, message) => {
  const parsed = parseServiceWrite({ id, acl: "hdr(host) -i a.example.com" });
  expect(parsed.ok).toBe(false);
  if (!parsed.ok) expect(parsed.message).toContain(message);
});

test("keeps upper case, as Bamboo's own examples use it", () => {
  expect(parseServiceWrite({ acl: "hdr(host) -i x.example.com" }, "/ExampleAppGroup/app1").ok).toBe(true);
});
