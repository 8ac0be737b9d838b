import { expect, test } from "bun:test";
import { culpritApps } from "../../src/haproxy/culprits.ts";

const config = [
  "frontend http-in", //                                  1
  "    acl ::a-aclrule path_beg -i /a", //                   2
  "    acl ::a::b-aclrule hdr(host) -i b", //                3
  "listen ::a::b-cluster-tcp", //                          4
  "    bind :notaport", //                                   5
  "backend ::a-cluster", //                                6
  "    server slot1 10.0.0.1:80 bogus", //                   7
].join("\n");
const apps = [
  { id: "/a", escapedId: "::a" },
  { id: "/a/b", escapedId: "::a::b" },
];

test.each([
  ["a line naming the app", ["parsing [/x/haproxy.cfg:3] : error detected while parsing ACL"], ["/a/b"]],
  ["the section header naming the app", ["parsing [/x/haproxy.cfg:5] : bind: invalid port"], ["/a/b"]],
  ["a server line in the app's backend", ["parsing [/x/haproxy.cfg:7] : unknown keyword 'bogus'"], ["/a"]],
  ["the shorter id is not mistaken for the longer", ["parsing [/x/haproxy.cfg:2] : bad"], ["/a"]],
  ["an alert without a line", ["Fatal errors found in configuration."], []],
])("finds %s", (_name, alerts, expected) => {
  expect(culpritApps(config, alerts, apps)).toEqual(expected);
});
