import { describe, expect, test } from "bun:test";
import { Compiler } from "../../src/compile/compiler.ts";
import { compileTemplate } from "../../src/haproxy/template.ts";
import { mountAppPortsApi } from "../../src/http/app-ports-api.ts";
import { Router } from "../../src/http/router.ts";
import { createHandler, type HttpDeps } from "../../src/http/server.ts";
import type { AppPortsAnswer } from "../../src/http/ui/api-types.ts";
import type { App } from "../../src/marathon/types.ts";
import type { AppliedState } from "../../src/sync/pipeline.ts";
import { app, servicePorts, task, TEMPLATE_SETTINGS } from "../routing/builders.ts";

/**
 * `GET /api/apps/<id>/ports` over what a real compile makes of apps whose ports are listened
 * on, taken by another app, reserved by bamboo, UDP-only or disabled: the answer is the config
 * HAProxy runs, each unlistened port with the problem that says why.
 */

const API_PORT = 8000;
const twoPorts = (id: string) => [task({ id: `${id.slice(1).replaceAll("/", "_")}.1`, ports: [31000, 31001] })];

const APPS: App[] = [
  app({ id: "/a", ports: [{ servicePort: 10000, protocol: "tcp", name: "http", labels: {} }, ...servicePorts(10001)], tasks: twoPorts("/a") }),
  // Port 0 asks for /a's port 0 by label, port 1 has /a's port 1 from Marathon: /a keeps both (first by id).
  app({ id: "/b", labels: { HAPROXY_0_PORT: "10000" }, ports: servicePorts(10002, 10001), tasks: twoPorts("/b") }),
  app({ id: "/c", ports: [{ servicePort: 10005, protocol: "udp", name: "", labels: {} }] }),
  app({ id: "/d", ports: servicePorts(API_PORT) }),
  app({ id: "/group/e", labels: { HAPROXY_1_ENABLED: "false" }, ports: servicePorts(10010, 10011), tasks: twoPorts("/group/e") }),
  app({ id: "/f", labels: { HAPROXY_1_VHOST: "admin.f.example" }, ports: servicePorts(10020, 10021), tasks: twoPorts("/f") }),
];

function appliedState(apps: readonly App[], elsewhere: readonly string[] = []): AppliedState {
  // A template that binds the service ports, as the default one does: only such a template gets them planned.
  const compiler = new Compiler(compileTemplate("test", "global\n{{#each ServicePorts.HttpBinds}}# bind {{this}}\n{{/each}}"), TEMPLATE_SETTINGS, {
    servicePorts: { bind: { off: false, addresses: ["127.0.0.1"] }, reserved: new Map([[API_PORT, "bamboo's API listens there (BAMBOO_BIND)"]]) },
  });
  const { data, problems } = compiler.compile({ apps, services: [], answers: { hosts: new Map(), rules: new Map() }, previous: null });
  return { snapshot: { apps, services: [], certificates: [] }, data, problems, elsewhere, appliedAt: "2026-11-29T12:00:00.000Z" };
}

const APPLIED = appliedState(APPS);
const router = (applied = APPLIED) => {
  const mounted = new Router(() => undefined);
  mountAppPortsApi(mounted, { applied: () => applied });
  return mounted;
};
const get = (path: string, applied = APPLIED) => router(applied).handle(new Request(`http://127.0.0.1:8000${path}`));
const portsOf = async (path: string) => {
  const answer = await get(path);
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toContain("application/json");
  return (await answer.json()) as AppPortsAnswer;
};

describe("GET /api/apps/<id>/ports", () => {
  test("an HTTP and a TCP port: their modes and why, their binds and backends", async () => {
    expect(await portsOf("/api/apps/a/ports")).toEqual({
      id: "/a",
      ports: [
        { index: 0, servicePort: 10000, mode: "http", modeFrom: "port name 'http'", binds: ["127.0.0.1:10000"], whyNotListened: null, backend: "::a-cluster", frontendRule: null },
        { index: 1, servicePort: 10001, mode: "tcp", modeFrom: "default", binds: ["127.0.0.1:10001"], whyNotListened: null, backend: "::a-cluster-port1", frontendRule: null },
      ],
    });
  });

  test("ports another app has are not listened on, each with its own reason, HAPROXY_0_PORT's included", async () => {
    const { ports } = await portsOf("/api/apps/b/ports");
    expect(ports.map(({ index, servicePort, binds, whyNotListened }) => ({ index, servicePort, binds, whyNotListened }))).toEqual([
      { index: 0, servicePort: 10002, binds: [], whyNotListened: "service port 10000 not listened on: /a has it" },
      { index: 1, servicePort: 10001, binds: [], whyNotListened: "service port 10001 not listened on: /a has it" },
    ]);
    // The same words as /api/status: the reasons are the app's problems, not new ones.
    for (const { whyNotListened } of ports) expect(APPLIED.problems).toContainEqual({ id: "/b", message: whyNotListened! });
  });

  test.each([
    ["a UDP-only port", "/api/apps/c/ports", 0, "udp only: HAProxy proxies TCP"],
    ["bamboo's own port", "/api/apps/d/ports", 0, `service port ${API_PORT} not listened on: bamboo's API listens there (BAMBOO_BIND)`],
    ["a port disabled by HAPROXY_1_ENABLED", "/api/apps/group/e/ports", 1, "HAPROXY_1_ENABLED is false"],
  ])("%s", async (_name, path, index, why) => {
    const port = (await portsOf(path)).ports[index]!;
    expect(port.binds).toEqual([]);
    expect(port.whyNotListened).toBe(why);
  });

  test("a later port routed by its HAPROXY_1_VHOST shows the rule the HTTP frontend routes it by", async () => {
    const { ports } = await portsOf("/api/apps/f/ports");
    expect(ports.map(({ index, mode, modeFrom, backend, frontendRule }) => ({ index, mode, modeFrom, backend, frontendRule }))).toEqual([
      { index: 0, mode: "http", modeFrom: "port 0", backend: "::f-cluster", frontendRule: null },
      { index: 1, mode: "http", modeFrom: "label HAPROXY_1_VHOST", backend: "::f-cluster-port1", frontendRule: "hdr(host) -i admin.f.example" },
    ]);
  });

  test("an id with a group, escaped or not, names the same app", async () => {
    const plain = await portsOf("/api/apps/group/e/ports");
    expect(plain.id).toBe("/group/e");
    expect(plain.ports[0]!.binds).toEqual(["127.0.0.1:10010"]);
    expect(await portsOf("/api/apps/group%2Fe/ports")).toEqual(plain);
    expect(await portsOf("/api/apps//group/e/ports")).toEqual(plain);
  });

  test.each([
    ["an app HAProxy does not run", "/api/apps/nowhere/ports", APPLIED, "HAProxy runs no app with id /nowhere"],
    ["an app left to another group", "/api/apps/other/ports", appliedState(APPS, ["/other"]), "/other is left to instances of other groups (BAMBOO_GROUPS)"],
    ["a path under /api/apps/ that is not a port list", "/api/apps/a", APPLIED, "no such path: /api/apps/a"],
  ])("404 with a JSON error: %s", async (_name, path, applied, error) => {
    const answer = await get(path, applied);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ error });
  });

  test("a reader's credentials are needed, the viewer's are enough", async () => {
    const viewer = { user: "viewer", password: "viewer-pw" };
    const deps = {
      credentials: { api: { admin: { user: "admin", password: "admin-pw" }, viewer, metricsOpen: false }, stats: { user: "stats", password: "stats-pw" } },
      view: { readings: () => ({ applied: APPLIED }) },
      log: { debug() {}, info() {}, warn() {}, error() {} },
    } as unknown as HttpDeps;
    const handle = createHandler(deps);
    const request = (headers: Record<string, string> = {}) => new Request("http://127.0.0.1:8000/api/apps/a/ports", { headers });
    expect((await handle(request(), "10.0.0.1")).status).toBe(401);
    const read = await handle(request({ authorization: `Basic ${btoa(`${viewer.user}:${viewer.password}`)}` }), "10.0.0.1");
    expect(read.status).toBe(200);
    expect(((await read.json()) as AppPortsAnswer).ports).toHaveLength(2);
  });
});
