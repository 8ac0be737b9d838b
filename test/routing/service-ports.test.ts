import { describe, expect, test } from "bun:test";
import type { AppPort } from "../../src/marathon/types.ts";
import { assignServicePorts, portPlansOf, type ServiceBind } from "../../src/routing/service-ports.ts";
import { app, httpHealthCheck } from "./builders.ts";

const EVERY_ADDRESS: ServiceBind = { off: false, addresses: [""] };

function port(servicePort: number, overrides: Partial<AppPort> = {}): AppPort {
  return { servicePort, protocol: "tcp", name: "", labels: {}, ...overrides };
}

describe("portPlansOf: a port's mode", () => {
  test.each([
    ["port 0 without a word is HTTP, as Bamboo routed it", {}, [port(10000)], [], 0, "http", "port 0"],
    ["a later port without a word is TCP", {}, [port(10000), port(10001)], [], 1, "tcp", "default"],
    ["HAPROXY_{n}_MODE says so", { HAPROXY_0_MODE: "TCP" }, [port(10000, { name: "http" })], [], 0, "tcp", "label HAPROXY_0_MODE"],
    ["the port's name says HTTP", {}, [port(10000), port(10001, { name: "http-admin" })], [], 1, "http", "port name 'http-admin'"],
    ["https is TLS passed through: TCP", {}, [port(10000), port(10001, { name: "https" })], [], 1, "tcp", "default"],
    ["an HTTP health check on the port", {}, [port(10000), port(10001)], [httpHealthCheck({ portIndex: 1 })], 1, "http", "HTTP health check"],
    ["a TCP health check says nothing", {}, [port(10000), port(10001)], [httpHealthCheck({ portIndex: 1, protocol: "TCP", path: "" })], 1, "tcp", "default"],
    ["a vhost on the port", { HAPROXY_1_VHOST: "a.example" }, [port(10000), port(10001)], [], 1, "http", "label HAPROXY_1_VHOST"],
    ["a path on the port", { HAPROXY_1_PATH: "/admin" }, [port(10000), port(10001)], [], 1, "http", "label HAPROXY_1_PATH"],
  ])("%s", (_, labels, ports, healthChecks, index, mode, modeFrom) => {
    const plan = portPlansOf(app({ id: "/a", labels, ports, healthChecks }), EVERY_ADDRESS).ports[index]!;
    expect({ mode: plan.mode, modeFrom: plan.modeFrom }).toEqual({ mode: mode as "http" | "tcp", modeFrom });
  });
});

describe("portPlansOf: where a port listens", () => {
  test("on the service port, on HAPROXY_SERVICE_BIND's addresses", () => {
    const plans = portPlansOf(app({ id: "/a", ports: [port(10000), port(10001)] }), { off: false, addresses: ["127.0.0.1", "172.17.0.1"] });
    expect(plans.ports.map((plan) => [plan.port, plan.addresses])).toEqual([
      [10000, ["127.0.0.1", "172.17.0.1"]],
      [10001, ["127.0.0.1", "172.17.0.1"]],
    ]);
    expect(plans.problems).toEqual([]);
  });

  test("HAPROXY_{n}_PORT and HAPROXY_{n}_BIND_ADDR override them", () => {
    const plans = portPlansOf(app({ id: "/a", labels: { HAPROXY_0_PORT: "8888", HAPROXY_0_BIND_ADDR: "10.1.2.3" }, ports: [port(10000)] }), EVERY_ADDRESS);
    expect([plans.ports[0]!.port, plans.ports[0]!.addresses]).toEqual([8888, ["10.1.2.3"]]);
  });

  test("nowhere: no service port, HAPROXY_{n}_ENABLED=false, a UDP port, or service ports off", () => {
    const listened = (overrides: Parameters<typeof app>[0], bind: ServiceBind = EVERY_ADDRESS) => portPlansOf(app(overrides), bind).ports.map((plan) => plan.addresses.length > 0);
    expect(listened({ id: "/a", ports: [port(0)] })).toEqual([false]);
    expect(listened({ id: "/a", labels: { HAPROXY_0_ENABLED: "false" }, ports: [port(10000)] })).toEqual([false]);
    expect(listened({ id: "/a", ports: [port(10000, { protocol: "udp" }), port(10001, { protocol: "udp,tcp" })] })).toEqual([false, true]);
    expect(listened({ id: "/a", ports: [port(10000)] }, { off: true })).toEqual([false]);
  });

  test("HAPROXY_{n}_STICKY keeps a client on its task; off unless set", () => {
    const plans = portPlansOf(app({ id: "/a", labels: { HAPROXY_1_STICKY: "TRUE" }, ports: [port(10000), port(10001)] }), EVERY_ADDRESS);
    expect(plans.ports.map((plan) => plan.sticky)).toEqual([false, true]);
  });

  test("a label it cannot read is said and ignored", () => {
    const labels = { HAPROXY_0_STICKY: "yes", HAPROXY_0_MODE: "udp", HAPROXY_0_PORT: "70000", HAPROXY_0_BIND_ADDR: "my-host", HAPROXY_0_ENABLED: "maybe", HAPROXY_1_BALANCE: "hdr(x)" };
    const plans = portPlansOf(app({ id: "/a", labels, ports: [port(10000), port(10001)] }), EVERY_ADDRESS);
    expect(plans.ports.map((plan) => [plan.mode, plan.port, plan.addresses, plan.enabled, plan.balance])).toEqual([
      ["http", 10000, [""], true, ""],
      ["tcp", 10001, [""], true, ""],
    ]);
    expect(plans.problems).toEqual([
      "label HAPROXY_0_MODE='udp' ignored: expected http or tcp",
      "label HAPROXY_0_ENABLED='maybe' ignored: expected true or false",
      "label HAPROXY_0_STICKY='yes' ignored: expected true or false",
      "label HAPROXY_0_PORT='70000' ignored: expected a port from 1 to 65535",
      "label HAPROXY_0_BIND_ADDR='my-host' ignored: expected an IPv4 or IPv6 address, or *",
      "label HAPROXY_1_BALANCE='hdr(x)' ignored: expected one of roundrobin, static-rr, leastconn, first, source, uri, random",
    ]);
  });
});

describe("assignServicePorts", () => {
  const planned = (id: string, ...ports: AppPort[]) => ({ id, plans: portPlansOf(app({ id, ports }), EVERY_ADDRESS) });

  test("each port goes to one app port, the app first in id order keeping a clash", () => {
    const assignment = assignServicePorts([planned("/a", port(10000), port(10001)), planned("/b", port(10001), port(10002))], new Map());
    expect(assignment.served.map((served) => [served.port, served.appId, served.index, served.mode, served.backend])).toEqual([
      [10000, "/a", 0, "http", "::a-cluster"],
      [10001, "/a", 1, "tcp", "::a-cluster-port1"],
      [10002, "/b", 1, "tcp", "::b-cluster-port1"],
    ]);
    expect([...assignment.refused.get("/b")!]).toEqual([[0, "service port 10001 not listened on: /a has it"]]);
  });

  test("a port bamboo listens on, or one HAProxy could not bind, is refused", () => {
    const assignment = assignServicePorts([planned("/a", port(8080), port(10001))], new Map([[8080, "the HTTP frontend listens there"]]), new Map([[10001, "HAProxy cannot bind it"]]));
    expect(assignment.served).toEqual([]);
    expect([...assignment.refused.get("/a")!]).toEqual([
      [0, "service port 8080 not listened on: the HTTP frontend listens there"],
      [1, "service port 10001 not listened on: HAProxy cannot bind it"],
    ]);
  });

  test("past the socket bound (one per port and address) a port is refused, the ports before it kept", () => {
    const twoAddresses: ServiceBind = { off: false, addresses: ["127.0.0.1", "172.17.0.1"] };
    const plans = (id: string, ...ports: AppPort[]) => ({ id, plans: portPlansOf(app({ id, ports }), twoAddresses) });
    const assignment = assignServicePorts([plans("/a", port(10000), port(10001)), plans("/b", port(10002))], new Map(), new Map(), 5);
    expect(assignment.served.map((served) => served.port)).toEqual([10000, 10001]);
    expect(assignment.sockets).toBe(4);
    expect([...assignment.refused.get("/b")!]).toEqual([[0, "service port 10002 not listened on: bamboo listens on at most 5 service-port sockets (one per port and address)"]]);
  });

  test("a port an app's BAMBOO_TCP_PORT listens on is no service port's", () => {
    const tcp = { id: "/old", plans: portPlansOf(app({ id: "/old", env: { BAMBOO_TCP_PORT: "10001" }, ports: [port(10000)] }), EVERY_ADDRESS) };
    const assignment = assignServicePorts([tcp, planned("/x", port(10001))], new Map());
    expect(assignment.served.map((served) => served.port)).toEqual([10000]);
    expect([...assignment.refused.get("/x")!]).toEqual([[0, "service port 10001 not listened on: /old's BAMBOO_TCP_PORT listens there"]]);
  });
});
