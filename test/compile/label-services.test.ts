import { describe, expect, test } from "bun:test";
import { LabelServices } from "../../src/compile/label-services.ts";
import { DEFAULT_POLICY, parsePolicy } from "../../src/routing/acl/index.ts";
import { makeService } from "../../src/store/types.ts";
import { app } from "../routing/builders.ts";

const shop = app({ id: "/shop", labels: { HAPROXY_0_VHOST: "shop.example" } });
const api = app({ id: "/api", labels: { HAPROXY_0_VHOST: "shop.example", HAPROXY_0_PATH: "/api" } });
const plain = app({ id: "/plain" });

describe("LabelServices: rules from labels next to stored rules", () => {
  test("an app without a stored rule gets the rule its labels give, marked as from labels", () => {
    const { services, problems } = new LabelServices(DEFAULT_POLICY).merge([shop, plain], []);
    expect(services).toEqual([{ id: "/shop", acl: "hdr(host) -i shop.example", config: { Acl: "hdr(host) -i shop.example" }, origin: "labels" }]);
    expect(problems).toEqual([]);
  });

  test("a stored rule wins over the app's labels", () => {
    const stored = [makeService("/shop", "hdr(host) -i other.example")];
    expect(new LabelServices(DEFAULT_POLICY).merge([shop], stored).services).toBe(stored);
  });

  test("host and path prefix beside the same host: both route once the policy allows host-and-path rules", () => {
    const { policy } = parsePolicy("default, base") as { policy: typeof DEFAULT_POLICY };
    const { services, problems } = new LabelServices(policy).merge([api, shop], []);
    expect(services.map((service) => service.acl)).toEqual(["base_beg -i shop.example/api", "hdr(host) -i shop.example"]);
    expect(problems).toEqual([]);
    // The default policy has no host-and-path rules: said, with what to change.
    const refused = new LabelServices(DEFAULT_POLICY).merge([api], []);
    expect(refused.services).toEqual([]);
    expect(refused.problems[0]!.message).toContain("not allowed by the ACL policy 'default'");
  });

  test("a host another app's stored rule claims is refused, and the app keeps its default rule", () => {
    const { services, problems } = new LabelServices(DEFAULT_POLICY).merge([shop], [makeService("/web", "hdr(host) -i SHOP.example")]);
    expect(services.map((service) => service.id)).toEqual(["/web"]);
    expect(problems).toEqual([{ id: "/shop", message: "the rule its labels give (hdr(host) -i shop.example) claims the host shop.example, which /web is routed by; the app is routed by its default rule" }]);
  });

  test("two apps labelled with the same host: the first in id order keeps it", () => {
    const twin = app({ id: "/zshop", labels: { HAPROXY_0_VHOST: "shop.example" } });
    const { services, problems } = new LabelServices(DEFAULT_POLICY).merge([shop, twin], []);
    expect(services.map((service) => service.id)).toEqual(["/shop"]);
    expect(problems[0]).toMatchObject({ id: "/zshop" });
  });

  test("the ACL policy applies as to rules written through the API", () => {
    const { policy } = parsePolicy("path") as { policy: typeof DEFAULT_POLICY };
    const { services, problems } = new LabelServices(policy).merge([shop], []);
    expect(services).toEqual([]);
    expect(problems[0]!.message).toContain("are not allowed by the ACL policy 'path'");
    expect(problems[0]!.message).toContain("the app is routed by its default rule");
  });

  test("bad label values and labels bamboo does not read are said, per app", () => {
    const odd = app({ id: "/odd", labels: { HAPROXY_0_VHOST: "bad host", HAPROXY_0_SSL_CERT: "/c.pem" } });
    const { services, problems } = new LabelServices(DEFAULT_POLICY).merge([odd], []);
    expect(services).toEqual([]);
    expect(problems).toEqual([
      { id: "/odd", message: "labels HAPROXY_0_SSL_CERT are not read by bamboo: ignored" },
      { id: "/odd", message: "label HAPROXY_0_VHOST: 'bad host' is not a host name (letters, digits, '-' and '.'); the app is routed by its default rule" },
    ]);
  });

  test("the same apps and services give the same answer; an unchanged app keeps its label service object", () => {
    const labels = new LabelServices(DEFAULT_POLICY);
    const apps = [shop, plain];
    const stored: ReturnType<typeof makeService>[] = [];
    const first = labels.merge(apps, stored);
    expect(labels.merge(apps, stored)).toBe(first);
    const again = labels.merge([shop, plain, app({ id: "/new" })], stored);
    expect(again.services[0]).toBe(first.services[0]!);
  });
});
