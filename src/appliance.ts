import type { Config } from "./config/config.ts";
import { runtimePaths, type RuntimePaths } from "./config/paths.ts";
import { AclChecker } from "./haproxy/acl-check.ts";
import { ConfigApplier } from "./haproxy/apply.ts";
import { RuntimeApi } from "./haproxy/runtime-api.ts";
import { serverViewsFromState } from "./haproxy/server-view.ts";
import { HAProxySupervisor } from "./haproxy/supervisor.ts";
import { AccessLogRelay } from "./haproxy/access-log-relay.ts";
import { compileTemplate, loadTemplateSource } from "./haproxy/template.ts";
import { templateSettings } from "./haproxy/template-settings.ts";
import { resolveCredentials, type Credentials } from "./http/credentials.ts";
import { OverviewBuilder } from "./http/overview.ts";
import { OverviewFeed } from "./http/overview-feed.ts";
import { trafficStream } from "./http/traffic-api.ts";
import type { ApplianceView } from "./http/server.ts";
import type { LoopReadings, ProcessReadings } from "./http/views.ts";
import { MarathonClient } from "./marathon/client.ts";
import type { AppList, KnownApps } from "./marathon/types.ts";
import { MarathonTransport } from "./marathon/transport.ts";
import { MarathonWatcher } from "./marathon/watcher.ts";
import { checkedPolicy, ruleParser, type AclPolicy, type RuleParser } from "./routing/acl/index.ts";
import { compileOptionsOf } from "./compile/options.ts";
import { isPlainKeyRule } from "./routing/route-maps.ts";
import { createStores } from "./store/index.ts";
import type { CertificateStore } from "./store/certificates.ts";
import { CertificateSources } from "./sync/certificate-sources.ts";
import { CertificateDirWatcher } from "./tls/certificate-dir.ts";
import { loadDefaultCertificate, type DefaultCertificate } from "./tls/default-certificate.ts";
import { writeFileAtomic } from "./system/atomic-file.ts";
import { openSync } from "node:fs";
import { hostname } from "node:os";
import { MarathonFanout } from "./cluster/fanout.ts";
import { SETTINGS } from "./config/settings.ts";
import { privateAcl, siblingPath } from "./store/zk-layout.ts";
import { mkdir } from "node:fs/promises";
import { errorMessage } from "./system/error-message.ts";
import type { Store } from "./store/types.ts";
import { HostResolver } from "./sync/host-resolver.ts";
import { newProblems, type RoutingProblem } from "./compile/problems.ts";
import { RoutingPipeline } from "./sync/pipeline.ts";
import { Reconciler } from "./sync/reconciler.ts";
import { refuseBrokenTemplate } from "./sync/template-check.ts";
import { TrafficSampler } from "./traffic/sampler.ts";
import type { Logger } from "./system/log.ts";
import { ensureWritableDir } from "./system/writable-dir.ts";

/**
 * How long the first event of a burst waits for others before the run starts. Short: while
 * a run is under way later events gather anyway, so bursts still cost one run each.
 */
/**
 * The first full sync waits this long at most for the event stream to connect, which asks for
 * a full sync itself: started before it, the first fetch is followed by a second one (7 MB at
 * 10,000 apps, and bamboo's memory peak at start-up).
 */
const FIRST_SYNC_WAIT_MS = 1_000;
const COALESCE_MS = 5;
/** Above this many stale apps, one full fetch replaces single-app fetches. */
const MAX_APP_FETCHES = 20;
/** A group change is picked up by a full refetch this long after it, with any others. */
const LAZY_RESYNC_MS = 1_000;
/** How often HAProxy's server states are read while a browser watches the overview. */
const OVERVIEW_POLL_MS = 1_000;
/** How much traffic history is kept, and for how many of the busiest apps the per-server split. */
const TRAFFIC_WINDOW_MS = 15 * 60_000;
const TRAFFIC_SERVER_SPLIT_APPS = 20;
/** A shrunken app list is applied once a full fetch this long after the first agrees. */
const CONFIRM_SHRINK_MS = 3_000;

/**
 * The running appliance: every component built from one Config and wired in the one-way
 * flow sources → reconciler → pipeline → HAProxy, with a read-only view for the HTTP layer.
 */
export class Appliance implements ApplianceView {
  #draining = false;
  readonly #fatal = Promise.withResolvers<string>();
  readonly overview: OverviewFeed;
  readonly traffic: TrafficSampler;

  private constructor(
    readonly config: Config,
    readonly paths: RuntimePaths,
    readonly aclPolicy: AclPolicy,
    /** One parse of each stored rule for every reader of the rules: the compile and the API. */
    readonly parseRule: RuleParser,
    readonly store: Store,
    readonly certificateStore: CertificateStore,
    private readonly certificates: CertificateSources,
    private readonly certificateDir: CertificateDirWatcher | null,
    readonly defaultCertificate: DefaultCertificate,
    readonly aclChecker: AclChecker,
    readonly credentials: Credentials,
    private readonly supervisor: HAProxySupervisor,
    private readonly applier: ConfigApplier,
    private readonly pipeline: RoutingPipeline,
    private readonly watcher: MarathonWatcher,
    private readonly fanout: MarathonFanout | null,
    private readonly reconciler: Reconciler,
    runtime: RuntimeApi,
    log: Logger,
    private readonly version: string,
    private readonly marathonProblems: () => readonly RoutingProblem[],
  ) {
    this.traffic = new TrafficSampler(
      { intervalMs: config.bamboo.trafficIntervalMs ?? 0, windowMs: TRAFFIC_WINDOW_MS, serverSplitLimit: TRAFFIC_SERVER_SPLIT_APPS },
      {
        readStat: (command, onRow) => runtime.readStat(command, onRow),
        askEach: (commands) => runtime.sendBatch(commands),
        running: () => supervisor.isRunning(),
        generation: () => supervisor.state().workerPid ?? 0,
        apps: () => pipeline.applied().data.Apps,
        log,
      },
    );
    const builder = new OverviewBuilder(aclPolicy);
    this.overview = new OverviewFeed({
      build: (haproxy) => builder.fromReadings(this.readings(), haproxy),
      prepare: (haproxy) => {
        const { data, snapshot } = pipeline.applied();
        return builder.prepare({ data, apps: snapshot.apps, haproxy });
      },
      haproxyStates: async () => (supervisor.isRunning() ? await serverViewsFromState(await runtime.send("show servers state")) : new Map()),
      pollMs: OVERVIEW_POLL_MS,
      log,
      extras: [trafficStream(this.traffic)],
    });
  }

  static async create(config: Config, log: Logger, version: string): Promise<Appliance> {
    const paths = runtimePaths(config);
    await ensureWritableDir(paths.dataDir, "BAMBOO_DATA_DIR");
    const credentials = await resolveCredentials(config, paths.dataDir, log);
    const template = await loadTemplateSource(config.haproxy.templatePath);
    const render = compileTemplate(template.name, template.source);
    await refuseBrokenTemplate(config, paths, render, template.name);
    const { store, certificateStore, keeper } = createStores(config, paths, log);
    const certificates = new CertificateSources(certificateStore, log);
    const defaultCertificate = await loadDefaultCertificate({ configuredPath: config.bamboo.defaultCertPath, generatedPath: paths.generatedDefaultCertificate, now: new Date(), log });
    // HAProxy loads it from its own directory (0700, files 0600), with the certificates the loop writes there.
    await mkdir(paths.haproxyCertDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(paths.defaultCertificate, defaultCertificate.info.pem, { durable: false, mode: 0o600 });
    // One parse of each stored rule for the checker's trust, the compile and the API (acl/memo.ts).
    const parseRule = ruleParser();
    const aclChecker = new AclChecker(config.haproxy.bin, { trusted: (acl) => isPlainKeyRule(acl, parseRule) });
    const supervisor = new HAProxySupervisor({
      stdout: relayOf(accessLogRelay(config, log)),
      bin: config.haproxy.bin,
      configPath: paths.haproxyConfig,
      masterSocketPath: paths.masterSocket,
      pidFilePath: paths.pidFile,
      exitWithBamboo: true,
      hardStopAfterMs: config.haproxy.hardStopAfterMs,
      log: (level, message, fields) => log[level](message, fields),
    });
    const runtime = new RuntimeApi(paths.statsSocket);
    const applier = new ConfigApplier({
      bin: config.haproxy.bin,
      configPath: paths.haproxyConfig,
      serverStatePath: paths.serverStateFile,
      process: supervisor,
      runtime,
      reloadIntervalMs: config.haproxy.reloadIntervalMs,
      log,
    });
    const pipeline = new RoutingPipeline({ render, settings: templateSettings(config, paths), compile: { ...compileOptionsOf(config), parseRule }, aclChecker, resolver: new HostResolver(), applier, log });
    // One transport: the endpoint and leader the watcher or the client learns serve both.
    const transport = new MarathonTransport(config.marathon);
    const marathon = new MarathonClient(transport, { log });
    const watcher = new MarathonWatcher(transport, config.marathon, { log, callbackUrl: `${config.bamboo.endpoint.replace(/\/+$/, "")}/api/marathon/event_callback` });
    let listProblems: readonly RoutingProblem[] = [];
    /** Marathon's last list's problems as the leader publishes them (the same words, before bamboo's prefix). */
    let rawListProblems: AppList["problems"] = [];
    const fanout =
      keeper !== null && config.zookeeper.marathonFanout
        ? new MarathonFanout({
            keeper,
            path: siblingPath(config.zookeeper.path, "cluster"),
            acl: privateAcl(config.zookeeper.auth),
            name: applianceName(config),
            maxAppsBytes: config.marathon.maxResponseBytes,
            marathon: {
              fetchApps: (known) => marathon.fetchApps(known),
              fetchApp: (id) => marathon.fetchApp(id),
              startWatching: () => watcher.start((change) => reconciler.notify(change)),
              stopWatching: () => watcher.stop(),
              words: () => {
                const watching = watcher.status();
                const sync = reconciler.status();
                return { connected: watching.streamConnected || watching.callbackRegistered, lastError: watching.lastError ?? sync.lastError, lastSyncAt: sync.lastFullSyncAt };
              },
              problems: () => rawListProblems,
            },
            sourceChanged: (reason) => reconciler.sourceChanged(reason),
            appsChanged: (appIds, reason) => reconciler.notify({ kind: "apps", appIds, reason }),
            log,
          })
        : null;
    const source = fanout?.source ?? { fetchApps: (known?: KnownApps) => marathon.fetchApps(known), fetchApp: (id: string) => marathon.fetchApp(id), asksMarathon: () => true };
    const reconciler: Reconciler = new Reconciler({
      marathon: {
        fetchApps: async (known) => {
          const list = await source.fetchApps(known);
          if (source.asksMarathon()) rawListProblems = list.problems;
          const problems = list.problems.map((problem) => ({ id: problem.appId, message: `Marathon's entry: ${problem.message}` }));
          for (const problem of newProblems(listProblems, problems)) log.warn("marathon app left out", { ...problem });
          listProblems = problems;
          return list;
        },
        fetchApp: (id) => source.fetchApp(id),
        asksMarathon: () => source.asksMarathon(),
      },
      fetched: fanout === null ? undefined : (apps) => fanout.fetched(apps),
      services: () => store.list(),
      certificates: () => certificates.current().certificates,
      apply: async (snapshot, reasons) => {
        const outcome = await pipeline.apply(snapshot, reasons);
        if (!applier.status().serving && (outcome.kind === "invalid" || (outcome.kind === "failed" && lacksRights(outcome.message)))) appliance.#fatal.resolve(outcome.message);
        return outcome;
      },
      log,
      settings: {
        coalesceMs: COALESCE_MS,
        resyncIntervalMs: config.marathon.resyncIntervalMs,
        maxAppFetches: MAX_APP_FETCHES,
        lazyResyncMs: LAZY_RESYNC_MS,
        confirmShrinkAbove: config.marathon.confirmShrinkAbove,
        confirmShrinkMs: CONFIRM_SHRINK_MS,
      },
    });
    const certificateDir =
      config.bamboo.certDir === ""
        ? null
        : new CertificateDirWatcher(config.bamboo.certDir, {
            onChange: (scan) => {
              certificates.setDirScan(scan);
              reconciler.certificatesChanged();
            },
            log,
          });
    const appliance = new Appliance(config, paths, checkedPolicy(config.bamboo.aclPolicy), parseRule, store, certificateStore, certificates, certificateDir, defaultCertificate, aclChecker, credentials, supervisor, applier, pipeline, watcher, fanout, reconciler, runtime, log, version, () => listProblems);
    return appliance;
  }

  /**
   * Settles with HAProxy's message when the first config it is given is refused and no app
   * is to blame: with nothing good to fall back on, running on would only look healthy.
   */
  fatal(): Promise<string> {
    return this.#fatal.promise;
  }

  /** Starts the sources and the loop; HAProxy starts with the first applied snapshot. */
  async start(): Promise<void> {
    // Early, so /api/status shows an HAProxy left by an earlier run while ours waits for Marathon.
    await this.supervisor.findLeftover();
    await this.store.start();
    this.store.watch(() => this.reconciler.servicesChanged());
    // Before the first sync, so HAProxy starts with HTTPS rather than reloading for it.
    await this.certificateStore.start();
    this.certificateStore.watch(() => this.reconciler.certificatesChanged());
    if (this.certificateDir) this.certificates.setDirScan(await this.certificateDir.start());
    this.pipeline.onApplied(() => this.overview.invalidate());
    this.supervisor.onEvent((event) => {
      if (event.type !== "restarted") return;
      // HAProxy came back from the file on disk, which is always the current config.
      this.applier.restarted();
      this.reconciler.notify({ kind: "all", reason: "haproxy restarted" });
    });
    // With the fanout, only a leader watches Marathon; the others route from what it publishes.
    if (this.fanout !== null) this.fanout.start();
    else this.watcher.start((change) => this.reconciler.notify(change));
    this.reconciler.start(FIRST_SYNC_WAIT_MS);
    this.traffic.start();
  }

  /** Turns /status to 503 so load balancers in front stop sending before HAProxy stops. */
  drain(): void {
    this.#draining = true;
  }

  /** A second signal: HAProxy ends now instead of waiting for old connections. */
  hurry(): void {
    this.supervisor.hurry();
  }

  /** Orderly stop: report not-ready, stop watching, then stop HAProxy gracefully. */
  async stop(options: { now?: boolean } = {}): Promise<void> {
    this.#draining = true;
    this.overview.close();
    this.traffic.stop();
    this.reconciler.stop();
    this.applier.close();
    if (this.fanout !== null) await this.fanout.stop();
    else await this.watcher.stop();
    this.certificateDir?.close();
    await this.supervisor.stop(options);
    await this.store.close();
    await this.certificateStore.close();
  }

  /** Every part's report, read now: what the HTTP layer's views are computed from. */
  readings(): LoopReadings {
    return {
      version: this.version,
      nowMs: Date.now(),
      draining: this.#draining,
      staleUnreadyAfterMs: this.config.bamboo.staleUnreadyAfterMs,
      groups: this.config.bamboo.groups,
      configPath: this.paths.haproxyConfig,
      marathon: this.watcher.status(),
      fanout: this.fanout?.status() ?? null,
      sync: this.reconciler.status(),
      marathonProblems: this.marathonProblems(),
      store: this.store.status(),
      haproxy: this.supervisor.state(),
      apply: this.applier.status(),
      applied: this.pipeline.applied(),
      pending: this.pipeline.pending(),
      configVersion: () => this.applier.runningVersion(),
      durations: () => ({
        eventToApplied: this.reconciler.eventToApplied(),
        ...this.applier.durations(),
        ...(this.fanout === null ? {} : { fanoutPublish: this.fanout.publishLatency(), fanoutLag: this.fanout.followLag() }),
      }),
      process: processReadings,
      traffic: () => ({ status: this.traffic.status(), totals: this.traffic.totals() }),
      tls: {
        httpsBind: `${this.config.haproxy.httpsBind.host}:${this.config.haproxy.httpsBind.port}`,
        default: this.defaultCertificate,
        known: this.certificates.current(),
        store: this.certificateStore.status(),
      },
    };
  }

  onApplied(listener: () => void): () => void {
    return this.pipeline.onApplied(listener);
  }

  marathonCallback(event: unknown): void {
    const change = this.watcher.changeFromCallback(event);
    if (change) this.reconciler.notify(change);
  }
}

/**
 * Where HAProxy's access logs go when they are not sent to syslog: a relay to bamboo's own
 * stdout, or to a file opened once for appending (a rotation by `copytruncate` keeps working;
 * the descriptor lives as long as bamboo).
 */
function accessLogRelay(config: Config, log: Logger): AccessLogRelay | null {
  const { format, target } = config.haproxy.accessLog;
  if (format === "off" || target.kind === "syslog") return null;
  let fd = 1;
  if (target.kind === "file") {
    try {
      // A bare descriptor, not a FileHandle, which would be closed when collected.
      fd = openSync(target.path, "a", 0o640);
    } catch (error) {
      throw new Error(`HAPROXY_ACCESS_LOG_TARGET=${target.path}: cannot open it for appending: ${errorMessage(error)}`);
    }
  }
  // Routine: an old worker announces the proxies it stops at every reload (as on stderr).
  return new AccessLogRelay({
    fd,
    notice: (line) => log.debug(`haproxy: ${line}`),
    trouble: (reason) => (reason === null ? log.info("access log lines are written again") : log.error("access log lines cannot be written and are lost", { error: reason })),
  });
}

/**
 * This appliance's name among the others (the leader's name they show): BAMBOO_ENDPOINT when
 * set, since it says how to reach it; otherwise the host's name and the API's port.
 */
function applianceName(config: Config): string {
  const defaultEndpoint = SETTINGS.find((setting) => setting.env === "BAMBOO_ENDPOINT")!.default;
  return config.bamboo.endpoint !== defaultEndpoint ? config.bamboo.endpoint : `${hostname()}:${config.bamboo.bind.port}`;
}

function processReadings(): ProcessReadings {
  const cpu = process.cpuUsage();
  return {
    residentBytes: process.memoryUsage.rss(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    startTimeSeconds: Math.round((Date.now() - process.uptime() * 1000) / 1000),
  };
}

function relayOf(relay: AccessLogRelay | null): ((stream: ReadableStream<Uint8Array>) => void) | undefined {
  return relay === null ? undefined : (stream) => void relay.relay(stream).catch(() => undefined);
}


/** A first start HAProxy cannot do as this user (a port below 1024): retrying cannot help. */
function lacksRights(message: string): boolean {
  return /Permission denied/i.test(message);
}
