import { describe, expect, test } from "bun:test";
import { explainRequest, RequestTester, type TestRequest } from "../../src/routing/request-test.ts";
import { toTemplateData } from "../../src/routing/template-data.ts";
import { makeService } from "../../src/store/types.ts";
import { app, task, TEMPLATE_SETTINGS } from "../routing/builders.ts";

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
