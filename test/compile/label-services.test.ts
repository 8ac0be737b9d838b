import { describe, expect, test } from "bun:test";
import { LabelServices } from "../../src/compile/label-services.ts";
import { DEFAULT_POLICY, parsePolicy } from "../../src/routing/acl/index.ts";
import { makeService } from "../../src/store/types.ts";
import { app, servicePorts } from "../routing/builders.ts";

const shop = app({ id: "/shop", labels: { HAPROXY_0_VHOST: "shop.example" } });
const api = app({ id: "/api", labels: { HAPROXY_0_VHOST: "shop.example", HAPROXY_0_PATH: "/api" } });
const plain = app({ id: "/plain" });

describe("LabelServices: rules from labels next to stored rules", () => {
  test("an app without a stored rule gets the rule its labels give, marked as from labels", () => {
    const { services, problems } = new LabelServices(DEFAULT_POLICY, true).merge([shop, plain], []);
    expect(services).toEqual([{ id: "/shop", acl: "hdr(host) -i shop.example", config: { Acl: "hdr(host) -i shop.example" }, origin: "labels" }]);
    expect(problems).toEqual([]);
  });

  test("a stored rule wins over the app's labels", () => {
    const stored = [makeService("/shop", "hdr(host) -i other.example")];
    expect(new LabelServices(DEFAULT_POLICY, true).merge([shop], stored).services).toBe(stored);
  });

  test("host and path prefix beside the same host: both route once the policy allows host-and-path rules", () => {
    const { policy } = parsePolicy("default, base") as { policy: typeof DEFAULT_POLICY };
    const { services, problems } = new LabelServices(policy, true).merge([api, shop], []);
    expect(services.map((service) => service.acl)).toEqual(["base_beg -i shop.example/api", "hdr(host) -i shop.example"]);
    expect(problems).toEqual([]);
    // The default policy has no host-and-path rules: said, with what to change.
    const refused = new LabelServices(DEFAULT_POLICY, true).merge([api], []);
    expect(refused.services).toEqual([]);
    expect(refused.problems[0]!.message).toContain("not allowed by the ACL policy 'default'");
  });

  test("a host another app's stored rule claims is refused, and the app keeps its default rule", () => {
    const { services, problems } = new LabelServices(DEFAULT_POLICY, true).merge([shop], [makeService("/web", "hdr(host) -i SHOP.example")]);
    expect(services.map((service) => service.id)).toEqual(["/web"]);
    expect(problems).toEqual([{ id: "/shop", message: "the rule its labels give (hdr(host) -i shop.example) claims the host shop.example, which /web is routed by; the app is routed by its default rule" }]);
  });

  test("two apps labelled with the same host: the first in id order keeps it", () => {
    const twin = app({ id: "/zshop", labels: { HAPROXY_0_VHOST: "shop.example" } });
    const { services, problems } = new LabelServices(DEFAULT_POLICY, true).merge([shop, twin], []);
    expect(services.map((service) => service.id)).toEqual(["/shop"]);
    expect(problems[0]).toMatchObject({ id: "/zshop" });
  });

  test("the ACL policy applies as to rules written through the API", () => {
    const { policy } = parsePolicy("path") as { policy: typeof DEFAULT_POLICY };
    const { services, problems } = new LabelServices(policy, true).merge([shop], []);
    expect(services).toEqual([]);
    expect(problems[0]!.message).toContain("are not allowed by the ACL policy 'path'");
    expect(problems[0]!.message).toContain("the app is routed by its default rule");
  });

  test.each([
    ["port 0", { HAPROXY_0_PATH: "/" }, "the rule its labels HAPROXY_0_PATH give (path_beg -i /): it would take other apps' traffic: pattern '/' matches every path we tried"],
    ["a later port", { HAPROXY_1_PATH: "/" }, "port 1's rule from HAPROXY_1_PATH (path_beg -i /): it would take other apps' traffic: pattern '/' matches every path we tried"],
  ])("a path of / on %s would route every request there: refused as the API refuses it", (_name, labels, message) => {
    const greedy = app({ id: "/greedy", ports: servicePorts(1, 2), labels });
    const { services, portRoutes, problems } = new LabelServices(DEFAULT_POLICY, true).merge([greedy], []);
    expect(services).toEqual([]);
    expect(portRoutes.size).toBe(0);
    expect(problems[0]!.message).toContain(message);
  });

  test("bad label values and labels bamboo does not read are said, per app", () => {
    const odd = app({ id: "/odd", labels: { HAPROXY_0_VHOST: "bad host", HAPROXY_0_SSL_CERT: "/c.pem" } });
    const { services, problems } = new LabelServices(DEFAULT_POLICY, true).merge([odd], []);
    expect(services).toEqual([]);
    expect(problems).toEqual([
      { id: "/odd", message: "labels HAPROXY_0_SSL_CERT are not read by bamboo: ignored" },
      { id: "/odd", message: "label HAPROXY_0_VHOST: 'bad host' is not a host name (letters, digits, '-' and '.'); the app is routed by its default rule" },
    ]);
  });

  test("the same apps and services give the same answer; an unchanged app keeps its label service object", () => {
    const labels = new LabelServices(DEFAULT_POLICY, true);
    const apps = [shop, plain];
    const stored: ReturnType<typeof makeService>[] = [];
    const first = labels.merge(apps, stored);
    expect(labels.merge(apps, stored)).toBe(first);
    const again = labels.merge([shop, plain, app({ id: "/new" })], stored);
    expect(again.services[0]).toBe(first.services[0]!);
  });
});

describe("LabelServices: later ports routed by HAPROXY_{n}_VHOST and HAPROXY_{n}_PATH", () => {
  const admin = app({ id: "/shop", ports: servicePorts(10000, 10001), labels: { HAPROXY_0_VHOST: "shop.example", HAPROXY_1_VHOST: "Admin.Shop.example" } });

  test("a later port's labels give it a route of its own, next to port 0's rule", () => {
    const { services, portRoutes, problems } = new LabelServices(DEFAULT_POLICY, true).merge([admin], []);
    expect(services.map((service) => service.acl)).toEqual(["hdr(host) -i shop.example"]);
    expect(portRoutes.get("/shop")).toEqual([{ id: "/shop", index: 1, acl: "hdr(host) -i admin.shop.example", parts: ["hdr(host) -i admin.shop.example"], from: "HAPROXY_1_VHOST", https: { redirect: false, hsts: "" } }]);
    expect(problems).toEqual([]);
  });

  test("several hosts with a path are routed as one host-and-path key each", () => {
    const { policy } = parsePolicy("default, base") as { policy: typeof DEFAULT_POLICY };
    const both = app({ id: "/docs", ports: servicePorts(10000, 10001), labels: { HAPROXY_1_VHOST: "a.example,b.example", HAPROXY_1_PATH: "/docs" } });
    const route = new LabelServices(policy, true).merge([both], []).portRoutes.get("/docs")![0]!;
    expect(route.acl).toBe("base_beg -i a.example/docs b.example/docs");
    expect(route.parts).toEqual(["base_beg -i a.example/docs", "base_beg -i b.example/docs"]);
  });

  test.each([
    ["a host its own port 0 is routed by", { HAPROXY_0_VHOST: "shop.example", HAPROXY_1_VHOST: "shop.example" }, [], "port 1's rule from HAPROXY_1_VHOST (hdr(host) -i shop.example) claims the host shop.example, which /shop is routed by; port 1 is not routed on the HTTP frontend"],
    ["a host another app's stored rule claims", { HAPROXY_1_VHOST: "web.example" }, [makeService("/web", "hdr(host) -i web.example")], "claims the host web.example, which /web is routed by"],
    ["a port served as TCP", { HAPROXY_1_VHOST: "a.example", HAPROXY_1_MODE: "tcp" }, [], "labels HAPROXY_1_VHOST/PATH not routed: port 1 is served as TCP (label HAPROXY_1_MODE)"],
    ["a port turned off", { HAPROXY_1_VHOST: "a.example", HAPROXY_1_ENABLED: "false" }, [], "not routed: HAPROXY_1_ENABLED is false"],
    ["a port the app does not have", { HAPROXY_3_VHOST: "a.example" }, [], "labels HAPROXY_3_VHOST/PATH not routed: the app has 2 ports, no port 3"],
    ["a bad host", { HAPROXY_1_VHOST: "a b" }, [], "label HAPROXY_1_VHOST: 'a b' is not a host name"],
    ["a redirect value not understood", { HAPROXY_1_VHOST: "a.example", HAPROXY_1_REDIRECT_TO_HTTPS: "sure" }, [], "label HAPROXY_1_REDIRECT_TO_HTTPS='sure' ignored: expected true or false"],
  ])("refuses %s, and says so", (_name, labels, stored, message) => {
    const shop = app({ id: "/shop", ports: servicePorts(10000, 10001), labels });
    const { problems } = new LabelServices(DEFAULT_POLICY, true).merge([shop], stored);
    expect(problems.map((problem) => problem.message)).toContainEqual(expect.stringContaining(message));
  });

  test("the ACL policy applies to a later port's rule", () => {
    const { policy } = parsePolicy("path") as { policy: typeof DEFAULT_POLICY };
    const { portRoutes, problems } = new LabelServices(policy, true).merge([app({ id: "/a", ports: servicePorts(1, 2), labels: { HAPROXY_1_VHOST: "a.example" } })], []);
    expect(portRoutes.size).toBe(0);
    expect(problems[0]!.message).toContain("port 1's rule from HAPROXY_1_VHOST (hdr(host) -i a.example): hdr(host) rules are not allowed by the ACL policy 'path'");
    expect(problems[0]!.message).toEndWith("; the port is not routed on the HTTP frontend");
  });

  test("a template without port backends routes no later port, and says why", () => {
    const { portRoutes, problems } = new LabelServices(DEFAULT_POLICY, false).merge([admin], []);
    expect(portRoutes.size).toBe(0);
    expect(problems[0]!.message).toContain("port 1's rule from HAPROXY_1_VHOST not routed: the template renders no backend for ports after the first");
  });

  test("an app object Marathon sent again with the same labels keeps the same routes object", () => {
    const labels = new LabelServices(DEFAULT_POLICY, true);
    const first = labels.merge([admin], []).portRoutes;
    expect(labels.merge([{ ...admin, tasks: [] }], []).portRoutes).toBe(first);
  });
});

