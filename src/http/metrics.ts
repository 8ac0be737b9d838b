import type { HistogramSnapshot } from "../system/histogram.ts";
import type { AppTotals } from "../traffic/sampler.ts";

/** Figures the appliance exposes at /metrics, gathered by the appliance from its parts. */
export interface MetricsSnapshot {
  readonly version: string;
  readonly durations: {
    readonly eventToApplied: HistogramSnapshot;
    readonly apply: HistogramSnapshot;
    readonly reload: HistogramSnapshot;
    readonly fanoutPublish?: HistogramSnapshot;
    readonly fanoutLag?: HistogramSnapshot;
  };
  readonly process: { readonly residentBytes: number; readonly cpuSeconds: number; readonly startTimeSeconds: number };
  readonly ready: boolean;
  readonly apps: number;
  /** Marathon's apps left to instances of other groups (BAMBOO_GROUPS). */
  readonly appsElsewhere: number;
  /** The apps' service ports HAProxy listens on, by mode. */
  readonly servicePorts: { readonly http: number; readonly tcp: number };
  readonly routedTasks: number;
  readonly reloadsByReason: Readonly<Record<string, number>>;
  readonly failedReloads: number;
  readonly invalidConfigs: number;
  readonly runtimeOperations: number;
  readonly lastReloadSeconds: number | null;
  readonly haproxyRestarts: number;
  readonly marathonRequests: number;
  readonly marathonEvents: number;
  readonly marathonStreamConnected: boolean;
  readonly marathonReconnects: number;
  readonly storeConnected: boolean;
  /** With ZooKeeper's fanout: whether this appliance leads, and the version of the apps it routes; null without. */
  readonly fanout: { readonly leader: boolean; readonly version: number | null } | null;
  readonly problems: number;
  /** How long the wanted config has not been applied; 0 when HAProxy runs it. */
  readonly configPendingSeconds: number;
  /** Whether HAProxy's counters are being sampled, and each app's counts since bamboo started. */
  readonly traffic: { readonly sampling: boolean; readonly apps: ReadonlyMap<string, AppTotals> };
  /** Each certificate HTTPS serves (and the default one), with when it expires. */
  readonly certificates: readonly { readonly name: string; readonly source: string; readonly notAfterSeconds: number }[];
}

interface Metric {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly help: string;
  /** A histogram's samples are named with their own suffix (`_bucket`, `_sum`, `_count`). */
  readonly samples: readonly { readonly suffix?: string; readonly labels?: Readonly<Record<string, string>>; readonly value: number }[];
}

/** Prometheus text exposition format (version 0.0.4); pure. */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const flag = (value: boolean) => (value ? 1 : 0);
  const metrics: Metric[] = [
    gauge("bamboo_ready", "1 when the first Marathon sync is done and HAProxy serves a valid config", flag(snapshot.ready)),
    gauge("bamboo_apps", "Marathon apps this instance serves", snapshot.apps),
    gauge("bamboo_apps_elsewhere", "Marathon apps left to instances of other groups (BAMBOO_GROUPS)", snapshot.appsElsewhere),
    {
      name: "bamboo_service_ports",
      type: "gauge",
      help: "apps' service ports HAProxy listens on, by mode (http or tcp)",
      samples: (["http", "tcp"] as const).map((mode) => ({ labels: { mode }, value: snapshot.servicePorts[mode] })),
    },
    gauge("bamboo_routed_tasks", "tasks HAProxy may send traffic to", snapshot.routedTasks),
    {
      name: "bamboo_haproxy_reloads_total",
      type: "counter",
      help: "successful HAProxy reloads, by the kind of change that needed one",
      samples: Object.entries(snapshot.reloadsByReason).map(([reason, value]) => ({ labels: { reason }, value })),
    },
    counter("bamboo_haproxy_reload_failures_total", "reloads HAProxy refused; the previous config kept serving", snapshot.failedReloads),
    counter("bamboo_haproxy_invalid_configs_total", "generated configs haproxy -c rejected", snapshot.invalidConfigs),
    counter("bamboo_haproxy_runtime_operations_total", "changes applied through the runtime API instead of a reload", snapshot.runtimeOperations),
    gauge("bamboo_haproxy_last_reload_seconds", "duration of the last reload", snapshot.lastReloadSeconds ?? 0),
    counter("bamboo_haproxy_restarts_total", "restarts of a crashed HAProxy", snapshot.haproxyRestarts),
    counter("bamboo_marathon_requests_total", "REST requests to Marathon", snapshot.marathonRequests),
    counter("bamboo_marathon_events_total", "events received from Marathon", snapshot.marathonEvents),
    gauge("bamboo_marathon_stream_connected", "1 while the event stream is attached", flag(snapshot.marathonStreamConnected)),
    counter("bamboo_marathon_reconnects_total", "event stream reconnects", snapshot.marathonReconnects),
    gauge("bamboo_store_connected", "1 while the rules store is reachable", flag(snapshot.storeConnected)),
    gauge("bamboo_routing_problems", "rules, tasks or apps not routed as written, and changes not applied", snapshot.problems),
    gauge("bamboo_config_pending_seconds", "how long the wanted config has not been applied; 0 when HAProxy runs it", snapshot.configPendingSeconds),
    histogram("bamboo_event_to_applied_seconds", "from a change being seen (a Marathon event, a rule or certificate write) to HAProxy running it", snapshot.durations.eventToApplied),
    histogram("bamboo_apply_seconds", "one apply of a new state to HAProxy, however it went (runtime API, reload, nothing to do)", snapshot.durations.apply),
    histogram("bamboo_haproxy_reload_seconds", "HAProxy reloads, from the request to the new worker's answer", snapshot.durations.reload),
    gauge("process_resident_memory_bytes", "bamboo's resident memory", snapshot.process.residentBytes),
    counter("process_cpu_seconds_total", "bamboo's user and system CPU time", snapshot.process.cpuSeconds),
    gauge("process_start_time_seconds", "when bamboo started, in seconds since the epoch", snapshot.process.startTimeSeconds),
    { name: "bamboo_build_info", type: "gauge", help: "always 1; the version and commit bamboo was built from", samples: [{ labels: { version: snapshot.version }, value: 1 }] },
    {
      name: "bamboo_certificate_expiry_timestamp_seconds",
      type: "gauge",
      help: "when each certificate HTTPS serves expires, in seconds since the epoch (source: api, dir or default)",
      samples: snapshot.certificates.map((certificate) => ({ labels: { name: certificate.name, source: certificate.source }, value: certificate.notAfterSeconds })),
    },
    ...fanoutMetrics(snapshot),
    ...trafficMetrics(snapshot.traffic),
  ];
  const lines: string[] = [];
  for (const metric of metrics) {
    lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`);
    for (const sample of metric.samples) lines.push(`${metric.name}${sample.suffix ?? ""}${labels(sample.labels)} ${sample.value}`);
  }
  return lines.join("\n") + "\n";
}

/** Only with ZooKeeper's fanout (BAMBOO_MARATHON_FANOUT): absent metrics say it is off. */
function fanoutMetrics(snapshot: MetricsSnapshot): Metric[] {
  const { fanout, durations } = snapshot;
  if (fanout === null) return [];
  return [
    gauge("bamboo_fanout_leader", "1 while this appliance watches Marathon for the others and publishes the apps in ZooKeeper", fanout.leader ? 1 : 0),
    gauge("bamboo_fanout_apps_version", "version of the published apps this appliance routes (published as leader, or read as follower); 0 before the first", fanout.version ?? 0),
    ...(durations.fanoutPublish ? [histogram("bamboo_fanout_publish_seconds", "leader: writing one version of the apps to ZooKeeper", durations.fanoutPublish)] : []),
    ...(durations.fanoutLag ? [histogram("bamboo_fanout_lag_seconds", "follower: from the leader's publishing a version (its clock) to this appliance's having read it", durations.fanoutLag)] : []),
  ];
}

/**
 * Per app, from bamboo's samples of HAProxy's counters: only apps that had traffic since
 * bamboo started, and counts that keep growing across reloads (HAProxy's own restart at
 * zero with each new worker). /metrics/haproxy has HAProxy's figures for every backend.
 */
function trafficMetrics(traffic: MetricsSnapshot["traffic"]): Metric[] {
  const apps = [...traffic.apps];
  const perApp = (value: (totals: AppTotals) => number | null) =>
    apps.flatMap(([app, totals]) => {
      const figure = value(totals);
      return figure === null ? [] : [{ labels: { app }, value: figure }];
    });
  return [
    gauge("bamboo_traffic_sampling_up", "1 while HAProxy's counters are sampled for per-app traffic (BAMBOO_TRAFFIC_INTERVAL)", traffic.sampling ? 1 : 0),
    { name: "bamboo_app_requests_total", type: "counter", help: "HTTP requests (connections in TCP mode) HAProxy sent to the app, as sampled since bamboo started", samples: perApp((t) => t.requests) },
    { name: "bamboo_app_responses_5xx_total", type: "counter", help: "5xx responses to the app's requests, from the app or from HAProxy, as sampled since bamboo started", samples: perApp((t) => t.errors) },
    {
      name: "bamboo_app_response_time_mean_seconds",
      type: "gauge",
      help: "HAProxy's mean response time of the app's last 1,024 requests (rtime), as last sampled",
      samples: perApp((t) => (t.responseMs === null ? null : t.responseMs / 1000)),
    },
  ];
}

function histogram(name: string, help: string, snapshot: HistogramSnapshot): Metric {
  const buckets = snapshot.cumulative.map((value, i) => ({ suffix: "_bucket", labels: { le: i < snapshot.bounds.length ? String(snapshot.bounds[i]) : "+Inf" }, value }));
  return { name, type: "histogram", help, samples: [...buckets, { suffix: "_sum", value: snapshot.sum }, { suffix: "_count", value: snapshot.count }] };
}

function gauge(name: string, help: string, value: number): Metric {
  return { name, type: "gauge", help, samples: [{ value }] };
}

function counter(name: string, help: string, value: number): Metric {
  return { name, type: "counter", help, samples: [{ value }] };
}

function labels(values: Readonly<Record<string, string>> | undefined): string {
  if (!values || Object.keys(values).length === 0) return "";
  const escape = (text: string) => text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
  return `{${Object.entries(values).map(([key, value]) => `${key}="${escape(value)}"`).join(",")}}`;
}
