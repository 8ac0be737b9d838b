import { expect, test } from "bun:test";
import { renderMetrics, type MetricsSnapshot } from "../../src/http/metrics.ts";

const SNAPSHOT: MetricsSnapshot = {
  ready: true,
  apps: 3,
  routedTasks: 7,
  reloadsByReason: { "first config": 1, "backend added": 2, 'odd "reason"': 1 },
  failedReloads: 0,
  invalidConfigs: 1,
  runtimeOperations: 42,
  lastReloadSeconds: 0.123,
  haproxyRestarts: 0,
  marathonRequests: 12,
  marathonEvents: 100,
  marathonStreamConnected: true,
  marathonReconnects: 1,
  storeConnected: true,
  problems: 0,
  configPendingSeconds: 12.5,
  certificates: [{ name: "shop", source: "api", notAfterSeconds: 1_800_000_000 }],
};

test("renders Prometheus text with help, type and labelled samples", () => {
  const text = renderMetrics(SNAPSHOT);
  expect(text).toContain("# TYPE bamboo_haproxy_runtime_operations_total counter\nbamboo_haproxy_runtime_operations_total 42\n");
  expect(text).toContain('bamboo_haproxy_reloads_total{reason="backend added"} 2');
  expect(text).toContain("# TYPE bamboo_config_pending_seconds gauge\nbamboo_config_pending_seconds 12.5\n");
  expect(text).toContain('bamboo_haproxy_reloads_total{reason="odd \\"reason\\""} 1');
  expect(text).toContain("bamboo_ready 1");
  expect(text).toContain('# TYPE bamboo_certificate_expiry_timestamp_seconds gauge\nbamboo_certificate_expiry_timestamp_seconds{name="shop",source="api"} 1800000000\n');
  expect(text.endsWith("\n")).toBe(true);
});

test("every sample line belongs to a declared metric", () => {
  const text = renderMetrics(SNAPSHOT);
  const declared = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
  for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
    expect(declared.has(line.split(/[{ ]/)[0])).toBe(true);
  }
});
