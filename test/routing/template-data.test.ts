import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { AppSettingsChecker } from "../../src/routing/app-settings.ts";
import type { App } from "../../src/marathon/types.ts";
import type { PortRoute } from "../../src/routing/port-routes.ts";
import { laterRoutedPorts, NO_SERVICE_PORT_LISTENERS, TemplateDataBuilder, toTemplateData, type HAProxyTemplateSettings, type TemplateData } from "../../src/routing/template-data.ts";
import { makeService } from "../../src/store/types.ts";
import { app, httpHealthCheck, servicePorts, task } from "./builders.ts";

const SETTINGS = { HttpBind: ":80" } as HAProxyTemplateSettings;

/** TemplateApp's fields as the README documents them, in order: what `/api/state` shows of an app. */
const TEMPLATE_APP_FIELDS = [
  "Id", "EscapedId", "MesosDnsId", "SplitId", "HealthCheckPath", "HealthCheckProtocol", "HealthChecks", "ReadinessCheckPath", "ServicePort", "ServicePorts", "Env", "Labels",
  "Tasks", "AllTasks", "Ports", "Acl", "HasService", "RuleSource", "Balance", "Mode", "HttpRouted", "Sticky", "RedirectToHttps", "Hsts",
];

describe("toTemplateData", () => {
  test("apps are sorted by id and carry Bamboo's derived ids", () => {
    const data = toTemplateData([app({ id: "/nested/group/app" }), app({ id: "/a" })], [], SETTINGS);
    expect(data.Apps.map((a) => a.Id)).toEqual(["/a", "/nested/group/app"]);
    const nested = data.Apps[1]!;
    expect(nested.EscapedId).toBe("::nested::group::app");
    expect(nested.MesosDnsId).toBe("app-group-nested");
    expect(nested.SplitId).toEqual(["", "nested", "group", "app"]);
  });

  test("an app's JSON has every field, the ones made when read too, in the documented order", () => {
    const data = toTemplateData(
      [app({ id: "/shop/web", ports: servicePorts(10000, 10001), healthChecks: [httpHealthCheck({ path: "/health" })], tasks: [task({ id: "a", ports: [31000, 31001] }), task({ id: "b", alive: false })] })],
      [],
      SETTINGS,
    );
    const only = data.Apps[0]!;
    const json = JSON.parse(JSON.stringify(only)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(TEMPLATE_APP_FIELDS);
    for (const field of TEMPLATE_APP_FIELDS) expect(json[field]).toEqual(JSON.parse(JSON.stringify(only[field as keyof typeof only])));
    expect(json.SplitId).toEqual(["", "shop", "web"]);
    expect(json.ServicePorts).toEqual([10000, 10001]);
    expect((json.AllTasks as unknown[]).length).toBe(2);
    expect((json.Tasks as unknown[]).length).toBe(1);
    expect((json.Ports as { Backend: string }[]).map((port) => port.Backend)).toEqual(["::shop::web-cluster", "::shop::web-cluster-port1"]);
  });

  test("an app without a service falls back to the default path rule", () => {
    const [only] = toTemplateData([app({ id: "/shop/web" })], [], SETTINGS).Apps;
    expect(only!.Acl).toBe("path_beg -i /shop/web");
    expect(only!.HasService).toBe(false);
  });

  test("an app with a service routes by the service's ACL", () => {
    const data = toTemplateData([app({ id: "/ghost" })], [makeService("/ghost", "hdr(host) -i ghost.local", { arb: "barb" })], SETTINGS);
    expect(data.Apps[0]!.Acl).toBe("hdr(host) -i ghost.local");
    expect(data.Apps[0]!.HasService).toBe(true);
    expect(data.Services).toEqual({ "/ghost": { Id: "/ghost", Acl: "hdr(host) -i ghost.local", Config: { arb: "barb", Acl: "hdr(host) -i ghost.local" } } });
  });

  test.each([
    ["running, alive and ready", {}, true],
    ["staging", { state: "TASK_STAGING" }, false],
    ["being killed", { state: "TASK_KILLING" }, false],
    ["failing its health check", { alive: false }, false],
    ["not ready during a deployment", { ready: false }, false],
  ])("a task %s is routed: %p", (_name, overrides, routed) => {
    const data = toTemplateData([app({ id: "/app", tasks: [task({ id: "t1", ...overrides })] })], [], SETTINGS);
    expect(data.Apps[0]!.Tasks.length).toBe(routed ? 1 : 0);
    expect(data.Apps[0]!.AllTasks.length).toBe(1);
  });

  test("tasks carry Bamboo's fields, Port being the first port", () => {
    const data = toTemplateData([app({ id: "/app", tasks: [task({ id: "t1", host: "h", ports: [31001, 31002] })] })], [], SETTINGS);
    expect(data.Apps[0]!.Tasks[0]).toEqual({ Id: "t1", Host: "h", Port: 31001, Ports: [31001, 31002], Alive: true, State: "TASK_RUNNING", Ready: true });
  });

  test("the HTTP health check of port index 0 becomes HealthCheckPath; checks on other ports do not", () => {
    const checks = [httpHealthCheck({ path: "/other", portIndex: 1 }), httpHealthCheck({ protocol: "MESOS_HTTP", path: "/ping" })];
    const [only] = toTemplateData([app({ id: "/app", ports: servicePorts(1, 2), healthChecks: checks })], [], SETTINGS).Apps;
    expect(only!.HealthCheckPath).toBe("/ping");
    expect(only!.HealthCheckProtocol).toBe("MESOS_HTTP");
    expect(only!.Ports.map((port) => port.HealthCheckPath)).toEqual(["/ping", "/other"]);
  });

  test("a TCP or COMMAND check gives no HTTP check path", () => {
    const checks = [httpHealthCheck({ protocol: "TCP", path: "" }), httpHealthCheck({ protocol: "COMMAND", path: "" })];
    expect(toTemplateData([app({ id: "/app", healthChecks: checks })], [], SETTINGS).Apps[0]!.HealthCheckPath).toBe("");
  });

  test("every service port lists its routable servers", () => {
    const tasks = [task({ id: "a", host: "h1", ports: [31001, 31002] }), task({ id: "b", host: "h2", ports: [32001, 32002], alive: false })];
    const [only] = toTemplateData([app({ id: "/app", ports: servicePorts(10001, 10002), tasks })], [], SETTINGS).Apps;
    expect(only!.Ports).toEqual([
      { ...UNLISTENED_PORT, Index: 0, ServicePort: 10001, Mode: "http", Backend: "::app-cluster", Servers: [expect.objectContaining({ Id: "a", Host: "h1", Port: 31001 })] },
      { ...UNLISTENED_PORT, Index: 1, ServicePort: 10002, Mode: "tcp", Backend: "::app-cluster-port1", Servers: [{ Id: "a", Host: "h1", Port: 31002 }] },
    ]);
    // Port 0's servers are the routed tasks themselves, not copies.
    expect(only!.Ports[0]!.Servers).toBe(only!.Tasks);
  });
});

/** What a port has in a render without service-port listeners (NO_SERVICE_PORT_LISTENERS). */
const UNLISTENED_PORT = { HealthCheckPath: "", HealthCheckProtocol: "", Checked: false, ModeFrom: "", Binds: [], NotListened: "no service-port listeners", Balance: "", Sticky: false, Acl: "", RedirectToHttps: false, Hsts: "" };

describe("TemplateDataBuilder", () => {
  test("an app and services that did not change keep their objects; a changed rule makes a new one", () => {
    const builder = new TemplateDataBuilder();
    const ghost = app({ id: "/ghost" });
    const rules = [makeService("/ghost", "hdr(host) -i ghost.local")];
    const templateApp = (data: TemplateData, id: string) => data.Apps.find((entry) => entry.Id === id)!;
    const first = builder.build([ghost, app({ id: "/blog" })], rules, SETTINGS);
    // A store re-read makes new service objects with the same content; Marathon a new /blog object.
    const again = builder.build([ghost, app({ id: "/blog" })], [...rules], SETTINGS);
    expect(templateApp(again, "/ghost")).toBe(templateApp(first, "/ghost"));
    expect(templateApp(again, "/blog")).not.toBe(templateApp(first, "/blog"));
    expect(again.Services).toBe(first.Services);
    const moved = builder.build([ghost], [makeService("/ghost", "hdr(host) -i ghost.example")], SETTINGS);
    expect(templateApp(moved, "/ghost")).not.toBe(templateApp(first, "/ghost"));
    expect(templateApp(moved, "/ghost").Acl).toBe("hdr(host) -i ghost.example");
  });

  test("builders share nothing: what one built last does not leak into another's result", () => {
    const ghost = app({ id: "/ghost" });
    const one = new TemplateDataBuilder();
    const other = new TemplateDataBuilder();
    const first = one.build([ghost], [makeService("/ghost", "hdr(host) -i ghost.local")], SETTINGS);
    const second = other.build([ghost], [], SETTINGS);
    expect(second.Apps[0]).not.toBe(first.Apps[0]!);
    expect(second.Apps[0]!.Acl).toBe("path_beg -i /ghost");
    expect(second.Services).toEqual({});
  });

  test("kept up to date from list to list, it builds what a fresh builder builds", () => {
    const ids = ["/a", "/b", "/b/c", "/d", "/e"];
    const ruleArb = fc.constantFrom("", "hdr(host) -i a.example", "hdr(host) -i b.example", "path_beg -i /x", "path -i /x/y", "hdr(x-tenant) blue");
    const stepArb = fc.record({
      // The same list again is what a rule write hands over: the builder then updates in place.
      sameApps: fc.boolean(),
      apps: fc.subarray(ids),
      // Port 1 of these apps routed by its labels; the same object again unless they change.
      portRouted: fc.option(fc.subarray(ids), { nil: null }),
      services: fc.array(fc.tuple(fc.constantFrom(...ids), ruleArb, fc.constantFrom<Record<string, string>>({}, { weight: "2" })), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 6 }), (steps) => {
        const builder = new TemplateDataBuilder();
        let apps: App[] = [];
        let portRoutes: ReadonlyMap<string, readonly PortRoute[]> = new Map();
        for (const step of steps) {
          if (!step.sameApps || apps.length === 0) apps = step.apps.map((id) => app({ id, ports: servicePorts(1, 2) }));
          if (step.portRouted !== null) portRoutes = new Map(step.portRouted.map((id) => [id, [portRoute(id, 1, `hdr(host) -i port1${id.replaceAll("/", ".")}.example`)]]));
          // One service per id, in any order, as a store re-read or another instance's write hands them over.
          const services = [...new Map(step.services.map(([id, acl, config]) => [id, makeService(id, acl, config)])).values()];
          const build = (with_: TemplateDataBuilder) => with_.build(apps, services, SETTINGS, [], NO_SERVICE_PORT_LISTENERS, portRoutes);
          const [kept, fresh] = [build(builder), build(new TemplateDataBuilder())];
          expect(kept).toEqual(fresh);
          // A template iterating Services sees them in id order either way.
          expect(Object.keys(kept.Services)).toEqual(Object.keys(fresh.Services));
        }
      }),
      { numRuns: 300, seed: 16 },
    );
  });

  test("a later port's route is a map entry to the port's backend, ranked among the apps' rules; Routes hold the apps' own rules", () => {
    const apps = [app({ id: "/shop", ports: servicePorts(1, 2) }), app({ id: "/web" })];
    const routes = new Map([["/shop", [portRoute("/shop", 1, "hdr(host) -i admin.example")]]]);
    const data = new TemplateDataBuilder().build(apps, [makeService("/web", "hdr(host) -i web.example")], SETTINGS, [], NO_SERVICE_PORT_LISTENERS, routes);
    expect(data.Routes.map((route) => route.Id)).toEqual(["/web", "/shop"]);
    const hosts = data.Maps.find((map) => map.Name === "host.map")!;
    expect(hosts.Entries).toEqual([
      { Key: "admin.example", Value: "::shop-cluster-port1", Id: "/shop" },
      { Key: "web.example", Value: "::web-cluster", Id: "/web" },
    ]);
    expect(data.Frontend.flatMap((step) => step.Chain.map((entry) => entry.Id))).toEqual([]);
    expect(data.Apps[0]!.Ports[1]!.Acl).toBe("hdr(host) -i admin.example");
    expect(data.Apps[0]!.Ports[0]!.Acl).toBe("");
  });

  test("a later port's redirect to HTTPS counts only while HTTPS is served; its HSTS always", () => {
    const apps = [app({ id: "/shop", ports: servicePorts(1, 2) })];
    const routes = new Map([["/shop", [{ ...portRoute("/shop", 1, "hdr(host) -i admin.example"), https: { redirect: true, hsts: "max-age=60" } }]]]);
    const port = (certificates: Parameters<TemplateDataBuilder["build"]>[3]) => new TemplateDataBuilder().build(apps, [], SETTINGS, certificates, NO_SERVICE_PORT_LISTENERS, routes).Apps[0]!.Ports[1]!;
    expect(port([])).toMatchObject({ RedirectToHttps: false, Hsts: "max-age=60" });
  });

  test("Routes follow rule precedence and are ranked again when a rule changes", () => {
    const builder = new TemplateDataBuilder();
    const apps = [app({ id: "/a" }), app({ id: "/b" })];
    const byHost = builder.build(apps, [makeService("/b", "hdr(host) -i b.local")], SETTINGS);
    expect(byHost.Routes.map((route) => route.Id)).toEqual(["/b", "/a"]);
    const byPaths = builder.build(apps, [makeService("/a", "path_beg -i /a/longer")], SETTINGS);
    expect(byPaths.Routes.map((route) => route.Id)).toEqual(["/a", "/b"]);
  });
});

describe("laterRoutedPorts", () => {
  const apps = [
    app({ id: "/plain", ports: servicePorts(10000, 10001), tasks: [task({ id: "p.1", ports: [31000, 31001] })] }),
    app({ id: "/shop", ports: servicePorts(10002, 10003, 10004), tasks: [task({ id: "s.1", ports: [31002, 31003, 31004] })] }),
  ];
  const data = new TemplateDataBuilder().build(apps, [], SETTINGS, [], NO_SERVICE_PORT_LISTENERS, new Map([["/shop", [portRoute("/shop", 2, "hdr(host) -i admin.example")]]]));
  const [plain, shop] = data.Apps;

  test("an app's later ports its labels route, with their rule: what Ports says", () => {
    expect(laterRoutedPorts(shop!).map((port) => [port.Index, port.Acl, port.Backend])).toEqual([[2, "hdr(host) -i admin.example", "::shop-cluster-port2"]]);
    expect(laterRoutedPorts(shop!)).toEqual(shop!.Ports.filter((port) => port.Acl !== ""));
  });

  test("none for an app without such routes", () => {
    expect(laterRoutedPorts(plain!)).toEqual([]);
  });

  test("an app object bamboo did not build is answered from its Ports", () => {
    const other = Object.create(plain!, { Ports: { get: () => shop!.Ports } });
    expect(laterRoutedPorts(other).map((port) => port.Index)).toEqual([2]);
  });
});

function portRoute(id: string, index: number, acl: string): PortRoute {
  return { id, index, acl, parts: [acl], from: `HAPROXY_${index}_VHOST`, https: { redirect: false, hsts: "" } };
}

describe("AppSettingsChecker", () => {
  test.each([
    ["a valid port is kept", "15432", true],
    ["a word is dropped", "postgres", false],
    ["a port with config after it is dropped", "80\n    stats enable", false],
    ["port zero is dropped", "0", false],
    ["a port above 65535 is dropped", "70000", false],
  ])("BAMBOO_TCP_PORT: %s", (_name, value, kept) => {
    const { apps, problems } = new AppSettingsChecker().check([app({ id: "/db", env: { BAMBOO_TCP_PORT: value, OTHER: "x" } })]);
    expect(apps[0]!.env.BAMBOO_TCP_PORT as string | undefined).toBe(kept ? value : undefined);
    expect(apps[0]!.env.OTHER).toBe("x");
    expect(problems.length).toBe(kept ? 0 : 1);
  });

  test.each([
    ["an algorithm without arguments is kept, lower-cased in the template data", "RoundRobin", "roundrobin"],
    ["one with an argument is dropped", "hdr(host)", null],
    ["anything else is dropped", "leastconn\n    stats enable", null],
  ])("marathon-lb's HAPROXY_0_BALANCE: %s", (_name, value, balance) => {
    const { apps, problems } = new AppSettingsChecker().check([app({ id: "/web", labels: { HAPROXY_0_BALANCE: value, OTHER: "x" } })]);
    expect(apps[0]!.labels.OTHER).toBe("x");
    const [web] = toTemplateData(apps, [], SETTINGS).Apps;
    expect(web!.Balance).toBe(balance ?? "");
    expect(problems).toEqual(balance === null ? [{ id: "/web", message: `label HAPROXY_0_BALANCE='${value}' ignored: expected one of roundrobin, static-rr, leastconn, first, source, uri, random` }] : []);
  });

  test("the same app checked again gives the same object and the same report", () => {
    const db = app({ id: "/db", env: { BAMBOO_TCP_PORT: "postgres" } });
    const checker = new AppSettingsChecker();
    const first = checker.check([db]);
    const again = checker.check([db]);
    expect(again.apps[0]).toBe(first.apps[0]!);
    expect(again.problems).toEqual(first.problems);
  });
});
