import { describe, expect, test } from "bun:test";
import { explainRequest, RequestTester, type TestRequest } from "../../src/routing/request-test.ts";
import { NO_HTTPS_SETTINGS } from "../../src/routing/https-settings.ts";
import type { PortRoute } from "../../src/routing/port-routes.ts";
import { NO_SERVICE_PORT_LISTENERS, TemplateDataBuilder, toTemplateData } from "../../src/routing/template-data.ts";
import { makeService } from "../../src/store/types.ts";
import { app, servicePorts, task, TEMPLATE_SETTINGS } from "../routing/builders.ts";

const request = (host: string, path = "/"): TestRequest => ({ host, path, query: new URLSearchParams(), headers: new Map([["host", host]]), method: "GET" });
const apps = [app({ id: "/a", tasks: [task({ id: "a.1", host: "10.0.0.1", ports: [31001] })] }), app({ id: "/b", tasks: [] })];

describe("RequestTester", () => {
  test("answers as explainRequest does, and follows a changed rule", () => {
    const tester = new RequestTester();
    const before = toTemplateData(apps, [makeService("/a", "hdr(host) -i a.example")], TEMPLATE_SETTINGS);
    for (const probe of [request("a.example"), request("b.example", "/b"), request("nowhere.example")]) {
      expect(tester.explain(before, probe)).toEqual(explainRequest(before, probe));
    }
    expect(tester.explain(before, request("a.example")).matched?.appId).toBe("/a");
    const after = toTemplateData(apps, [makeService("/a", "hdr(host) -i other.example")], TEMPLATE_SETTINGS);
    expect(tester.explain(after, request("a.example")).verdict).toBe("no-rule");
    expect(tester.explain(after, request("other.example")).matched?.appId).toBe("/a");
  });
});

describe("explainRequest says how HAProxy finds the rule", () => {
  const three = [...apps, app({ id: "/c", tasks: [] })];
  const data = toTemplateData(three, [makeService("/a", "hdr(host) -i A.example"), makeService("/b", "hdr(x-tenant) blue")], TEMPLATE_SETTINGS);

  test.each([
    ["an exact host, by its folded key in host.map", request("a.EXAMPLE"), { appId: "/a", via: "map", map: "host.map", key: "a.example" }],
    ["a default path rule, by its prefix in path-prefix.map", request("x.example", "/c/deeper"), { appId: "/c", via: "map", map: "path-prefix.map", key: "/c" }],
    ["a header rule, in the chain", { ...request("x.example"), headers: new Map([["x-tenant", "blue"]]) }, { appId: "/b", via: "chain" }],
  ])("%s", (_name, probe, expected) => {
    const matched = explainRequest(data, probe).matched!;
    expect({ appId: matched.appId, via: matched.via, ...(matched.via === "map" ? { map: matched.map, key: matched.key } : {}) }).toEqual(expected as never);
  });

  test("the explanation names the map entry", () => {
    expect(explainRequest(data, request("a.example")).explanation).toContain("(key 'a.example' of host.map)");
  });
});

describe("explainRequest and the later ports' routes (HAPROXY_{n}_VHOST)", () => {
  const shop = app({
    id: "/shop",
    ports: servicePorts(10000, 10001),
    tasks: [task({ id: "shop.1", host: "10.0.0.5", ports: [31000, 31001] })],
  });
  const routes = new Map<string, readonly PortRoute[]>([
    ["/shop", [{ id: "/shop", index: 1, acl: "base_beg -i admin.example/ops", parts: ["base_beg -i admin.example/ops"], from: "HAPROXY_1_VHOST and HAPROXY_1_PATH", https: NO_HTTPS_SETTINGS }]],
  ]);
  // /a by host: less specific than port 1's host-and-path prefix, more than /shop's default path rule.
  const data = new TemplateDataBuilder().build([...apps, shop], [makeService("/a", "hdr(host) -i admin.example")], TEMPLATE_SETTINGS, [], NO_SERVICE_PORT_LISTENERS, routes);

  test("a request its rule matches goes to the port's backend and servers, found in its map", () => {
    const answer = explainRequest(data, request("Admin.example", "/ops/x"));
    expect(answer.matched).toEqual({ appId: "/shop", port: 1, acl: "base_beg -i admin.example/ops", backend: "::shop-cluster-port1", via: "map", map: "host-path-prefix.map", key: "admin.example/ops" });
    expect(answer.servers).toEqual(["10.0.0.5:31001"]);
    expect(answer.explanation).toBe("The request goes to port 1 of /shop by the rule its labels HAPROXY_1_VHOST/PATH give 'base_beg -i admin.example/ops' (key 'admin.example/ops' of host-path-prefix.map), served by 1 task(s).");
    // Tested before every app rule: a host and path prefix ranks first.
    expect(answer.candidates).toEqual([{ appId: "/shop", port: 1, acl: "base_beg -i admin.example/ops", matches: true }]);
  });

  test("a request only a less specific rule matches goes there, past the port's rule", () => {
    expect(explainRequest(data, request("admin.example", "/other")).matched).toMatchObject({ appId: "/a", port: 0 });
    expect(explainRequest(data, request("x.example", "/shop")).matched).toMatchObject({ appId: "/shop", port: 0, backend: "::shop-cluster" });
  });

  test("RequestTester answers the same", () => {
    const tester = new RequestTester();
    for (const probe of [request("admin.example", "/ops"), request("admin.example"), request("none.example")]) expect(tester.explain(data, probe)).toEqual(explainRequest(data, probe));
  });
});
