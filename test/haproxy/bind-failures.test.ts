import { describe, expect, test } from "bun:test";
import { unboundPorts } from "../../src/haproxy/bind-failures.ts";

describe("unboundPorts", () => {
  test.each([
    ["HAProxy 2.6's alert, IPv4", "[ALERT]    (2632) : Binding [/tmp/h.cfg:64] for frontend service-ports-tcp: cannot bind socket (Address already in use) for [127.0.0.1:10001]", [[10001, "Address already in use"]]],
    ["every address", "Binding [h.cfg:9] for frontend f: cannot bind socket (Permission denied) for [0.0.0.0:80]", [[80, "Permission denied"]]],
    ["IPv6", "cannot bind socket (Address already in use) for [::1:10002]", [[10002, "Address already in use"]]],
    ["two alerts in one message", "a: cannot bind socket (Address already in use) for [:1] ; b: cannot bind socket (Address already in use) for [:2]", [[1, "Address already in use"], [2, "Address already in use"]]],
    ["another failure", "[ALERT] config : parsing [h.cfg:3]: unknown keyword 'bnd'", []],
  ])("%s", (_, text, expected) => {
    expect([...unboundPorts(text)]).toEqual(expected as [number, string][]);
  });
});
