import { describe, expect, test } from "bun:test";
import { decodeNode, decodeNodeName, encodeNodeBody, encodeNodeName } from "../../src/store/znode-codec.ts";
import { makeService } from "../../src/store/types.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("node names (Go's url.QueryEscape)", () => {
  test.each([
    ["/grp/app1", "%2Fgrp%2Fapp1"],
    ["/ExampleAppGroup/app1", "%2FExampleAppGroup%2Fapp1"],
    ["/a b", "%2Fa+b"],
    ["/a+b", "%2Fa%2Bb"],
    ["/keep-_.~", "%2Fkeep-_.~"],
    ["/x:y@z!*'()", "%2Fx%3Ay%40z%21%2A%27%28%29"],
    ["/ü", "%2F%C3%BC"],
    ["/100%", "%2F100%25"],
  ])("%p is stored as %p and read back", (id, name) => {
    expect(encodeNodeName(id)).toBe(name);
    expect(decodeNodeName(name)).toBe(id);
  });

  test.each([
    ["lower-case escapes, as other writers may use", "%2fgrp%2fapp", "/grp/app"],
    ["a name with no escapes at all", "plain", "plain"],
  ])("reads %s", (_, name, id) => {
    expect(decodeNodeName(name)).toBe(id);
  });

  test.each([["%2"], ["%zz"], ["%C3"], ["%FF"]])("refuses the malformed name %p", (name) => {
    expect(decodeNodeName(name)).toBeNull();
  });
});

describe("node bodies", () => {
  test.each([
    {
      name: "an ACL only",
      service: makeService("/a", "hdr(host) -i foo"),
      body: '{"version":"2","config":{"Acl":"hdr(host) -i foo"}}',
    },
    {
      name: "extra keys, sorted as Go sorts map keys",
      service: makeService("/a", "hdr(host) -i foo", { arb: "barb", Zeta: "z", "X-Y": "1" }),
      body: '{"version":"2","config":{"Acl":"hdr(host) -i foo","X-Y":"1","Zeta":"z","arb":"barb"}}',
    },
    {
      name: "HTML characters escaped the way Go escapes them",
      service: makeService("/a", "path_beg /a && hdr(x) <y>"),
      body: '{"version":"2","config":{"Acl":"path_beg /a \\u0026\\u0026 hdr(x) \\u003cy\\u003e"}}',
    },
    {
      name: "an empty ACL, which Bamboo leaves out",
      service: makeService("/a", ""),
      body: '{"version":"2","config":{}}',
    },
  ])("writes $name exactly as Bamboo does", ({ service, body }) => {
    expect(encodeNodeBody(service)).toBe(body);
    expect(decodeNode(encodeNodeName(service.id), bytes(body))).toEqual({ ok: true, service });
  });

  test.each([
    {
      name: "a version-2 body with unknown keys",
      body: '{"version":"2","config":{"Acl":"hdr(host) -i foo","arb":"barb"}}',
      service: makeService("/grp/app1", "hdr(host) -i foo", { arb: "barb" }),
    },
    {
      name: "a version-2 body with a null config",
      body: '{"version":"2","config":null}',
      service: makeService("/grp/app1", ""),
    },
    {
      name: "a version-2 body with whitespace and extra top-level keys",
      body: ' {\n "config": {"Acl": "path_beg /x"},\n "version": "2", "future": true }',
      service: makeService("/grp/app1", "path_beg /x"),
    },
    {
      name: "a version-1 body (the raw ACL)",
      body: "hdr(host) -i legacy.example.com",
      service: makeService("/grp/app1", "hdr(host) -i legacy.example.com"),
    },
    {
      name: "an empty version-1 body",
      body: "",
      service: makeService("/grp/app1", ""),
    },
  ])("reads $name", ({ body, service }) => {
    expect(decodeNode("%2Fgrp%2Fapp1", bytes(body))).toEqual({ ok: true, service });
  });

  test("reads a node with no data at all as an empty version-1 body", () => {
    expect(decodeNode("%2Fa", null)).toEqual({ ok: true, service: makeService("/a", "") });
  });

  test.each([
    ["a JSON object that does not parse", '{"version":"2","config":{'],
    ["an unknown body version", '{"version":"3","config":{"Acl":"x"}}'],
    ["a missing version", '{"config":{"Acl":"x"}}'],
    ["a config that is not an object", '{"version":"2","config":["x"]}'],
    ["a config value that is not a string", '{"version":"2","config":{"Acl":1}}'],
  ])("skips %s with a reason naming the node", (_, body) => {
    const decoded = decodeNode("%2Fgrp%2Fapp1", bytes(body));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toContain("%2Fgrp%2Fapp1");
  });

  test("skips a body that is not UTF-8 and a name that is not an escaped id", () => {
    expect(decodeNode("%2Fa", new Uint8Array([0xff, 0xfe])).ok).toBe(false);
    expect(decodeNode("%zz", bytes("x")).ok).toBe(false);
  });
});
