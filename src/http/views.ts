/**
 * What the HTTP layer shows of the loop: readiness, status, metrics and the list of
 * problems, all computed from one set of readings taken at one moment. Pure.
 */
import type { FanoutStatus } from "../cluster/fanout.ts";
import type { ApplyStatus } from "../haproxy/apply.ts";
import type { SupervisorState } from "../haproxy/supervisor-types.ts";
import type { WatcherStatus } from "../marathon/watcher.ts";
import type { StoreStatus } from "../store/types.ts";
import type { RoutingProblem } from "../compile/problems.ts";
import type { AppliedState, PendingChange } from "../sync/pipeline.ts";
import type { ReconcilerStatus } from "../sync/reconciler.ts";
import type { CertificateStoreStatus } from "../store/certificates.ts";
import type { CertificateSet } from "../sync/certificate-sources.ts";
import type { DefaultCertificate } from "../tls/default-certificate.ts";
import type { HistogramSnapshot } from "../system/histogram.ts";
import type { AppTotals, TrafficSamplerStatus } from "../traffic/sampler.ts";
import type { MetricsSnapshot } from "./metrics.ts";

/** Every part's own report, read at one moment: the input of every view. */
export interface LoopReadings {
  readonly version: string;
  readonly nowMs: number;
  readonly draining: boolean;
  /** BAMBOO_STALE_UNREADY_AFTER; null when off. */
  readonly staleUnreadyAfterMs: number | null;
  /** BAMBOO_GROUPS and BAMBOO_UNGROUPED_APPS: which apps this instance serves. */
  readonly groups: { readonly groups: readonly string[]; readonly ungrouped: "skip" | "serve" };
  readonly configPath: string;
  readonly marathon: WatcherStatus;
  /** Where the apps come from with ZooKeeper (BAMBOO_MARATHON_FANOUT): this appliance leads or follows; null when each watches Marathon. */
  readonly fanout: FanoutStatus | null;
  readonly sync: ReconcilerStatus;
  /** Entries of Marathon's last app list that could not be read, as problems. */
  readonly marathonProblems: readonly RoutingProblem[];
  readonly store: StoreStatus;
  readonly haproxy: SupervisorState;
  readonly apply: ApplyStatus;
  readonly applied: AppliedState;
  readonly pending: PendingChange | null;
  /** The running config's content hash; computed only when a view asks (hashing 3 MB is not free). */
  readonly configVersion: () => string | null;
  readonly tls: TlsReadings;
  /**
   * Read only when /metrics asks: readings are taken for every /status probe and every write's
   * wait, which need neither histogram copies nor bamboo's process figures.
   */
  readonly durations: () => {
    /** From a change being marked (an event, a rule or certificate write) to HAProxy running it. */
    readonly eventToApplied: HistogramSnapshot;
    readonly apply: HistogramSnapshot;
    readonly reload: HistogramSnapshot;
    /** Leader: writing one publication of the apps. Follower: from a version's publication to its reading. Only with the fanout. */
    readonly fanoutPublish?: HistogramSnapshot;
    readonly fanoutLag?: HistogramSnapshot;
  };
  readonly process: () => ProcessReadings;
  readonly traffic: () => { readonly status: TrafficSamplerStatus; readonly totals: ReadonlyMap<string, AppTotals> };
}

/** bamboo's own process, as Prometheus' standard process metrics name it. */
export interface ProcessReadings {
  readonly residentBytes: number;
  readonly cpuSeconds: number;
  readonly startTimeSeconds: number;
}

/** HTTPS's side: what the certificate sources hold (what HAProxy serves is in `applied`). */
export interface TlsReadings {
  readonly httpsBind: string;
  readonly default: DefaultCertificate;
  readonly known: CertificateSet;
  readonly store: CertificateStoreStatus;
}

/** A certificate that expires within this many days is a warning in the status, the UI and the problems metric. */
export const EXPIRY_WARNING_DAYS = 14;

/** Why the appliance should not get traffic now, or "" when it should (`/status`). */
export function notReadyReason(readings: LoopReadings): string {
  if (readings.draining) return "shutting down";
  if (!readings.sync.synced) return readings.fanout !== null && readings.fanout.role !== "leader" ? "waiting for the first apps the leader publishes in ZooKeeper" : "waiting for the first Marathon sync";
  if (!readings.apply.serving) return "HAProxy has no valid config yet";
  if (readings.haproxy.status !== "running") return "HAProxy is not running";
  const { pending, staleUnreadyAfterMs, nowMs } = readings;
  if (staleUnreadyAfterMs !== null && pending !== null && nowMs - pending.sinceMs >= staleUnreadyAfterMs) {
    return `the wanted config has not been applied for ${Math.round((nowMs - pending.sinceMs) / 1000)} s (BAMBOO_STALE_UNREADY_AFTER): ${pending.reason}`;
  }
  return "";
}

/**
 * Everything not routed as written or not applied: the running config's problems, a wanted
 * config HAProxy does not run, a config file behind, a held app list, Marathon entries left out.
 */
export function problemsOf(readings: LoopReadings): RoutingProblem[] {
  const { pending, apply, sync } = readings;
  return [
    ...readings.applied.problems,
    ...(pending ? [{ id: "", message: `not applied: ${pending.reason}${apply.serving ? "; the previous config keeps serving" : ""}` }] : []),
    ...(apply.configFileError ? [{ id: "", message: `the config file is behind what HAProxy runs, so a restart of HAProxy would lose changes: ${apply.configFileError}` }] : []),
    ...(sync.holding ? [{ id: "", message: sync.holding }] : []),
    ...fanoutProblems(readings.fanout),
    ...readings.marathonProblems,
    ...certificateProblems(readings),
  ];
}

/**
 * Apps this appliance cannot keep current through the leader: it is cut off from ZooKeeper,
 * reading what is published fails, or the leader says it has lost Marathon. Routes keep
 * being those last read, which is said, with their age.
 */
function fanoutProblems(fanout: FanoutStatus | null): RoutingProblem[] {
  if (fanout === null) return [];
  const problems: RoutingProblem[] = [];
  const routing = fanout.version === null ? "no apps read yet" : `routing the apps of version ${fanout.version}, published ${fanout.publishedAt ?? "at an unknown time"}${fanout.leader ? ` by ${fanout.leader.name}` : ""}`;
  if (!fanout.connected) problems.push({ id: "", message: `cut off from ZooKeeper: ${fanout.role === "leader" ? "the apps are not published to the other appliances" : routing}` });
  else if (fanout.lastError !== null) problems.push({ id: "", message: fanout.lastError });
  if (fanout.role !== "leader" && fanout.leaderMarathon !== null && !fanout.leaderMarathon.connected) {
    problems.push({ id: "", message: `the leader${fanout.leader ? ` (${fanout.leader.name})` : ""} does not reach Marathon${fanout.leaderMarathon.lastError ? `: ${fanout.leaderMarathon.lastError}` : ""}; ${routing}` });
  }
  return problems;
}

/**
 * Certificates that cannot be served (a bad file in BAMBOO_CERT_DIR, a stored body that does
 * not read), and served ones that expired or expire within {@link EXPIRY_WARNING_DAYS} days.
 */
function certificateProblems(readings: LoopReadings): RoutingProblem[] {
  const { tls, nowMs } = readings;
  const served = [
    ...readings.applied.snapshot.certificates.map((certificate) => ({ label: `certificate ${certificate.source}/${certificate.name}`, notAfter: certificate.info.notAfter })),
    { label: `the default certificate (${tls.default.file})`, notAfter: tls.default.info.notAfter },
  ];
  const expiring = served.flatMap(({ label, notAfter }) => {
    const days = (notAfter.getTime() - nowMs) / 86_400_000;
    if (days < 0) return [{ id: "", message: `${label} expired on ${notAfter.toISOString()}: clients get a certificate error; replace it` }];
    if (days < EXPIRY_WARNING_DAYS) return [{ id: "", message: `${label} expires on ${notAfter.toISOString()}, in ${Math.floor(days)} days: renew it` }];
    return [];
  });
  return [...tls.known.problems.map((problem) => ({ id: "", message: `certificate ${problem.source}/${problem.name}: ${problem.message}` })), ...expiring];
}

/** How long the wanted config has not been applied; 0 when HAProxy runs it. */
function pendingSeconds(readings: LoopReadings): number {
  return readings.pending === null ? 0 : (readings.nowMs - readings.pending.sinceMs) / 1000;
}

/** `GET /api/status`. */
export function statusOf(readings: LoopReadings) {
  const { apply, haproxy, applied, pending } = readings;
  const reason = notReadyReason(readings);
  return {
    version: readings.version,
    ready: reason === "",
    notReadyReason: reason || undefined,
    marathon: { ...readings.marathon, sync: readings.sync },
    // With ZooKeeper: who watches Marathon for the cluster, and which published version this appliance routes.
    cluster: readings.fanout,
    store: readings.store,
    haproxy: {
      ...haproxy,
      reloads: apply.reloads,
      reloadReasons: apply.reloadReasons,
      failedReloads: apply.failedReloads,
      invalidConfigs: apply.invalidConfigs,
      runtimeOperations: apply.runtimeOperations,
      runtimeApplies: apply.runtimeApplies,
      lastReloadAt: apply.lastReloadAt,
      lastReloadMs: apply.lastReloadMs,
      lastReloadReasons: apply.lastReloadReasons,
      lastError: apply.lastError ?? haproxy.lastError,
      configPath: readings.configPath,
    },
    config: {
      version: readings.configVersion(),
      appliedAt: applied.appliedAt,
      apps: applied.snapshot.apps.length,
      // Marathon's apps this instance leaves to instances of other groups: not a fault, so not a problem.
      groups: readings.groups.groups.length === 0 ? null : { ...readings.groups, appsElsewhere: applied.elsewhere.length },
      pending:
        pending === null
          ? null
          : { since: new Date(pending.sinceMs).toISOString(), seconds: pendingSeconds(readings), reason: pending.reason, apps: pending.apps, retrying: !pending.refused },
      fileError: apply.configFileError,
      servicePorts: applied.data.ServicePorts.Listened,
    },
    https: {
      // What HAProxy runs: HTTPS is on once a config with a certificate is applied.
      enabled: applied.snapshot.certificates.length > 0,
      bind: readings.tls.httpsBind,
      certificates: applied.snapshot.certificates.length,
      defaultCertificate: { source: readings.tls.default.source, file: readings.tls.default.file, notAfter: readings.tls.default.info.notAfter.toISOString() },
      store: readings.tls.store,
    },
    traffic: readings.traffic().status,
    problems: problemsOf(readings),
  };
}

/** The status body `GET /api/status` answers; the UI reads it. */
export type StatusBody = ReturnType<typeof statusOf>;

/** `GET /metrics`, before formatting. */
export function metricsOf(readings: LoopReadings): MetricsSnapshot {
  const { apply, marathon } = readings;
  const apps = readings.applied.data.Apps;
  return {
    ready: notReadyReason(readings) === "",
    apps: apps.length,
    appsElsewhere: readings.applied.elsewhere.length,
    servicePorts: readings.applied.data.ServicePorts.Listened,
    routedTasks: apps.reduce((sum, app) => sum + app.Tasks.length, 0),
    reloadsByReason: apply.reloadReasons,
    failedReloads: apply.failedReloads,
    invalidConfigs: apply.invalidConfigs,
    runtimeOperations: apply.runtimeOperations,
    lastReloadSeconds: apply.lastReloadMs === null ? null : apply.lastReloadMs / 1000,
    haproxyRestarts: readings.haproxy.restarts,
    marathonRequests: readings.sync.marathonRequests,
    marathonEvents: marathon.eventsReceived,
    marathonStreamConnected: marathon.streamConnected,
    marathonReconnects: marathon.reconnects,
    storeConnected: readings.store.connected,
    fanout: readings.fanout === null ? null : { leader: readings.fanout.role === "leader", version: readings.fanout.version },
    problems: problemsOf(readings).length,
    configPendingSeconds: pendingSeconds(readings),
    version: readings.version,
    durations: readings.durations(),
    process: readings.process(),
    traffic: trafficOf(readings),
    certificates: [
      ...readings.applied.snapshot.certificates.map((certificate) => ({ name: certificate.name, source: certificate.source, notAfterSeconds: certificate.info.notAfter.getTime() / 1000 })),
      { name: "default", source: "default", notAfterSeconds: readings.tls.default.info.notAfter.getTime() / 1000 },
    ],
  };
}

function trafficOf(readings: LoopReadings): MetricsSnapshot["traffic"] {
  const { status, totals } = readings.traffic();
  return { sampling: status.state === "ok", apps: totals };
}
