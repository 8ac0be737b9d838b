import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Overview } from "../../src/http/ui/api-types.ts";
import { eventually, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/**
 * Issue 20 item 3 (port 0): marathon-lb's HAPROXY_0_VHOST and HAPROXY_0_PATH route an app as
 * a rule written through the API would, after the same checks; a stored rule wins over them.
 */

let sim: MarathonSim;
let bamboo: RunningAppliance;

beforeAll(async () => {
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  await sim.deployApp({ id: "/shop", instances: 1, labels: { HAPROXY_0_VHOST: "shop.example,www.shop.example" } });
  await sim.deployApp({ id: "/shop-api", instances: 1, labels: { HAPROXY_0_VHOST: "shop.example", HAPROXY_0_PATH: "/api" } });
  await sim.deployApp({ id: "/shop-copy", instances: 1, labels: { HAPROXY_0_VHOST: "shop.example", HAPROXY_0_SSL_CERT: "/c.pem" } });
  await sim.deployApp({ id: "/even", instances: 2, labels: { HAPROXY_0_BALANCE: "roundrobin" } });
  bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_ACL_POLICY: "default, base" } });
  await bamboo.waitReady();
});

afterAll(async () => {
  await bamboo?.stop();
  await sim?.stop();
});

const taskOf = async (host: string, path = "/") => {
  const answer = await fetch(`${bamboo.http}${path}`, { headers: { host } });
  return answer.status === 200 ? (answer.headers.get("x-task-id") ?? "") : `HTTP ${answer.status}`;
};
const appOf = (task: string) => task.replace(/\.[^.]*$/, "");

describe("marathon-lb's labels", () => {
  test("VHOST routes by host, VHOST and PATH by host and path prefix, most specific first", async () => {
    expect(appOf(await taskOf("shop.example"))).toBe("shop");
    expect(appOf(await taskOf("www.shop.example", "/cart"))).toBe("shop");
    expect(appOf(await taskOf("shop.example", "/api/orders"))).toBe("shop-api");
  });

  test("a label rule claiming a host another app's rule routes is refused: its app keeps its default rule, and status says why", async () => {
    expect(appOf(await taskOf("anything", "/shop-copy"))).toBe("shop-copy");
    const status = (await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { problems: { id: string; message: string }[] };
    const mine = status.problems.filter((problem) => problem.id === "/shop-copy").map((problem) => problem.message);
    expect(mine).toContain("labels HAPROXY_0_SSL_CERT are not read by bamboo: ignored");
    expect(mine.some((message) => message.includes("claims the host shop.example, which /shop is routed by"))).toBe(true);
  });

  test("the overview names each rule's source", async () => {
    const overview = (await (await fetch(`${bamboo.api}/api/overview`, { headers: bamboo.reader })).json()) as Overview;
    const sources = Object.fromEntries(overview.apps.map((app) => [app.id, app.rule.source]));
    expect(sources).toEqual({ "/even": "default", "/shop": "labels", "/shop-api": "labels", "/shop-copy": "default" });
  });

  test("HAPROXY_0_BALANCE sets the backend's algorithm, which HAProxy runs", async () => {
    const config = await Bun.file(`${bamboo.dataDir}/haproxy.cfg`).text();
    const section = config.slice(config.indexOf("backend ::even-cluster")).split("\nbackend ")[0];
    expect(section).toContain("balance roundrobin");
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await taskOf("anything", "/even"));
    expect(seen.size).toBe(2);
  });

  test("a rule written through the API may not claim what labels route, and a stored rule wins over its own app's labels", async () => {
    const claim = await fetch(`${bamboo.api}/api/services`, { method: "POST", headers: bamboo.writer, body: JSON.stringify({ id: "/shop-copy", acl: "hdr(host) -i www.shop.example" }) });
    expect(claim.status).toBe(409);
    expect(((await claim.json()) as { error: string }).error).toContain("/shop by the rule its labels give");
    const own = await fetch(`${bamboo.api}/api/services`, { method: "POST", headers: bamboo.writer, body: JSON.stringify({ id: "/shop", acl: "hdr(host) -i shop.test" }) });
    expect(own.status).toBe(200);
    await eventually("the stored rule to route /shop", async () => appOf(await taskOf("shop.test")) === "shop", 10_000);
    // Its labels no longer route it, so shop.example is free: /shop-copy's labels, refused while /shop held it, now route it.
    await eventually("shop.example to route to /shop-copy", async () => appOf(await taskOf("shop.example")) === "shop-copy", 10_000);
  });
});
