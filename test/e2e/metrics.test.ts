import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import parse from "parse-prometheus-text-format";
import { eventually, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/**
 * Issue 19 item 3: bamboo's /metrics and HAProxy's own exporter at /metrics/haproxy, read by
 * a real exposition-format parser (it throws on a malformed line); every value is a number.
 */

let sim: MarathonSim;
let bamboo: RunningAppliance;

beforeAll(async () => {
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  await sim.deployApp({ id: "/shop", instances: 2 });
  bamboo = await startAppliance({ marathonUrl: sim.url });
  await bamboo.waitReady();
});

afterAll(async () => {
  await bamboo?.stop();
  await sim?.stop();
});

async function families(path: string) {
  const answer = await fetch(`${bamboo.api}${path}`, { headers: bamboo.reader });
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toContain("text/plain");
  const parsed = parse(await answer.text());
  for (const family of parsed) {
    for (const metric of family.metrics) {
      for (const value of [metric.value, ...Object.values(metric.buckets ?? {})]) if (value !== undefined) expect(Number.isNaN(Number(value)) && value !== "NaN").toBe(false);
    }
  }
  return parsed;
}

describe("metrics", () => {
  test("bamboo's own parse, with Prometheus names and types", async () => {
    const parsed = await families("/metrics");
    const byName = new Map(parsed.map((family) => [family.name, family]));
    expect(byName.get("bamboo_ready")?.type).toBe("GAUGE");
    expect(byName.get("bamboo_haproxy_runtime_operations_total")?.type).toBe("COUNTER");
    for (const family of parsed) expect(family.name).toMatch(/^(bamboo|process)_[a-z0-9_]+$/);
    expect(Number(byName.get("process_resident_memory_bytes")?.metrics[0]?.value)).toBeGreaterThan(10_000_000);
    expect(byName.get("bamboo_build_info")?.metrics[0]?.labels?.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("event → applied is a histogram that counts a scale event", async () => {
    const count = async () => {
      const family = (await families("/metrics")).find((entry) => entry.name === "bamboo_event_to_applied_seconds");
      expect(family?.type).toBe("HISTOGRAM");
      return Number(family?.metrics[0]?.count ?? 0);
    };
    const before = await count();
    await sim.scale("/shop", 3);
    await eventually("the event's apply counted", async () => (await count()) > before, 10_000);
  });

  test("HAProxy's exporter: global and frontend by default, small at any size", async () => {
    const names = (await families("/metrics/haproxy")).map((family) => family.name);
    expect(names).toContain("haproxy_process_uptime_seconds");
    expect(names.some((name) => name.startsWith("haproxy_frontend_"))).toBe(true);
    expect(names.some((name) => name.startsWith("haproxy_server_"))).toBe(false);
  });

  test("?scope= asks for more, and an unknown scope is refused", async () => {
    const parsed = await families("/metrics/haproxy?scope=server");
    const servers = parsed.find((family) => family.name === "haproxy_server_status");
    expect(servers?.metrics.some((metric) => metric.labels?.proxy?.endsWith("shop-cluster"))).toBe(true);
    const refused = await fetch(`${bamboo.api}/metrics/haproxy?scope=everything`, { headers: bamboo.reader });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toContain("scope 'everything'");
  });

  test("it needs credentials like /metrics", async () => {
    expect((await fetch(`${bamboo.api}/metrics/haproxy`)).status).toBe(401);
  });
});
