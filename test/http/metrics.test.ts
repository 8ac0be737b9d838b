import { expect, test } from "bun:test";
import { renderMetrics, type MetricsSnapshot } from "../../src/http/metrics.ts";
import { Histogram } from "../../src/system/histogram.ts";

const observed = new Histogram([0.1, 1]);
for (const seconds of [0.05, 0.5, 2]) observed.observe(seconds);

const SNAPSHOT: MetricsSnapshot = {
  version: '0.1.0 (commit "abc")',
  durations: { eventToApplied: observed.snapshot(), apply: new Histogram([0.1, 1]).snapshot(), reload: new Histogram([0.1, 1]).snapshot() },
  process: { residentBytes: 150_000_000, cpuSeconds: 12.5, startTimeSeconds: 1_800_000_000 },
  ready: true,
  apps: 3,
  appsElsewhere: 2,
  servicePorts: { http: 4, tcp: 1 },
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
  fanout: null,
  problems: 0,
  configPendingSeconds: 12.5,
  certificates: [{ name: "shop", source: "api", notAfterSeconds: 1_800_000_000 }],
  traffic: {
    sampling: true,
    apps: new Map([
      ["/shop", { requests: 1200, errors: 3, responseMs: 12 }],
      ['/odd"app', { requests: 5, errors: 0, responseMs: null }],
    ]),
  },
};

test("renders Prometheus text with help, type and labelled samples", () => {
  const text = renderMetrics(SNAPSHOT);
  expect(text).toContain("# TYPE bamboo_haproxy_runtime_operations_total counter\nbamboo_haproxy_runtime_operations_total 42\n");
  expect(text).toContain('bamboo_haproxy_reloads_total{reason="backend added"} 2');
  expect(text).toContain("# TYPE bamboo_config_pending_seconds gauge\nbamboo_config_pending_seconds 12.5\n");
  expect(text).toContain('bamboo_haproxy_reloads_total{reason="odd \\"reason\\""} 1');
  expect(text).toContain("bamboo_ready 1");
  expect(text).toContain('# TYPE bamboo_service_ports gauge\nbamboo_service_ports{mode="http"} 4\nbamboo_service_ports{mode="tcp"} 1\n');
  expect(text).toContain(
    '# TYPE bamboo_event_to_applied_seconds histogram\nbamboo_event_to_applied_seconds_bucket{le="0.1"} 1\nbamboo_event_to_applied_seconds_bucket{le="1"} 2\nbamboo_event_to_applied_seconds_bucket{le="+Inf"} 3\nbamboo_event_to_applied_seconds_sum 2.55\nbamboo_event_to_applied_seconds_count 3\n',
  );
  expect(text).toContain('bamboo_build_info{version="0.1.0 (commit \\"abc\\")"} 1');
  expect(text).toContain("process_resident_memory_bytes 150000000");
  expect(text).toContain('# TYPE bamboo_certificate_expiry_timestamp_seconds gauge\nbamboo_certificate_expiry_timestamp_seconds{name="shop",source="api"} 1800000000\n');
  expect(text.endsWith("\n")).toBe(true);
});

test("every sample line belongs to a declared metric", () => {
  const text = renderMetrics(SNAPSHOT);
  const declared = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
  for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
    // A histogram's samples carry their suffix after the declared name.
    expect(declared.has(line.split(/[{ ]/)[0]!.replace(/_(bucket|sum|count)$/, ""))).toBe(true);
  }
});

test("the fanout's metrics appear with it: leadership, the version routed, publication and lag histograms", () => {
  const off = renderMetrics(SNAPSHOT);
  expect(off).not.toContain("bamboo_fanout");
  const on = renderMetrics({ ...SNAPSHOT, fanout: { leader: true, version: 9 }, durations: { ...SNAPSHOT.durations, fanoutPublish: observed.snapshot(), fanoutLag: new Histogram([0.1]).snapshot() } });
  expect(on).toContain("# TYPE bamboo_fanout_leader gauge\nbamboo_fanout_leader 1\n");
  expect(on).toContain("bamboo_fanout_apps_version 9\n");
  expect(on).toContain("bamboo_fanout_publish_seconds_count 3\n");
  expect(on).toContain("bamboo_fanout_lag_seconds_count 0\n");
});

test("per-app traffic: counters for apps with traffic, a response time only where HAProxy gave one", () => {
  const text = renderMetrics(SNAPSHOT);
  expect(text).toContain("# TYPE bamboo_app_requests_total counter\nbamboo_app_requests_total{app=\"/shop\"} 1200\nbamboo_app_requests_total{app=\"/odd\\\"app\"} 5\n");
  expect(text).toContain('bamboo_app_responses_5xx_total{app="/shop"} 3');
  expect(text).toContain("# TYPE bamboo_app_response_time_mean_seconds gauge\nbamboo_app_response_time_mean_seconds{app=\"/shop\"} 0.012\n");
  expect(text).toContain("bamboo_traffic_sampling_up 1");
});
