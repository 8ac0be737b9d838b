import { mkdir } from "node:fs/promises";
import type { Config } from "./config/config.ts";
import { runtimePaths, type RuntimePaths } from "./config/paths.ts";
import { AclChecker } from "./haproxy/acl-check.ts";
import { ConfigApplier } from "./haproxy/apply.ts";
import { RuntimeApi } from "./haproxy/runtime-api.ts";
import { serverViewsFromState } from "./haproxy/server-view.ts";
import { HAProxySupervisor } from "./haproxy/supervisor.ts";
import { compileTemplate, loadTemplateSource } from "./haproxy/template.ts";
import { templateSettings } from "./haproxy/template-settings.ts";
import { resolveCredentials, type Credentials } from "./http/credentials.ts";
import { buildOverview } from "./http/overview.ts";
import { OverviewFeed } from "./http/overview-feed.ts";
import type { MetricsSnapshot } from "./http/metrics.ts";
import type { ApplianceView } from "./http/server.ts";
import { MarathonClient } from "./marathon/client.ts";
import { MarathonTransport } from "./marathon/transport.ts";
import { MarathonWatcher } from "./marathon/watcher.ts";
import { auditStoredRules } from "./routing/acl/index.ts";
import { createStore } from "./store/index.ts";
import type { Store } from "./store/types.ts";
import { HostResolver } from "./sync/host-resolver.ts";
import { RoutingPipeline, type RoutingProblem } from "./sync/pipeline.ts";
import { Reconciler } from "./sync/reconciler.ts";
import { refuseBrokenTemplate } from "./sync/template-check.ts";
import type { Logger } from "./system/log.ts";

/**
 * How long the first event of a burst waits for others before the run starts. Short: while
 * a run is under way later events gather anyway, so bursts still cost one run each.
 */
const COALESCE_MS = 5;
/** Above this many stale apps, one full fetch replaces single-app fetches. */
const MAX_APP_FETCHES = 20;
/** A group change is picked up by a full refetch this long after it, with any others. */
const LAZY_RESYNC_MS = 1_000;
/** How often HAProxy's server states are read while a browser watches the overview. */
const OVERVIEW_POLL_MS = 1_000;
/** A shrunken app list is applied once a full fetch this long after the first agrees. */
const CONFIRM_SHRINK_MS = 3_000;

/**
 * The running appliance: every component built from one Config and wired in the one-way
 * flow sources → reconciler → pipeline → HAProxy, with a read-only view for the HTTP layer.
 */
export class Appliance implements ApplianceView {
  #draining = false;
  #auditFor: { key: string; warnings: ReturnType<typeof auditStoredRules> } = { key: "", warnings: [] };
  readonly #fatal = Promise.withResolvers<string>();
  readonly overview: OverviewFeed;

  private constructor(
    readonly config: Config,
    readonly paths: RuntimePaths,
    readonly store: Store,
    readonly aclChecker: AclChecker,
    readonly credentials: Credentials,
    private readonly supervisor: HAProxySupervisor,
    private readonly applier: ConfigApplier,
    private readonly pipeline: RoutingPipeline,
    private readonly watcher: MarathonWatcher,
    private readonly reconciler: Reconciler,
    runtime: RuntimeApi,
    log: Logger,
    private readonly version: string,
    private readonly marathonProblems: () => readonly RoutingProblem[],
  ) {
    this.overview = new OverviewFeed({
      build: (haproxy) => {
        const { snapshot, data } = this.pipeline.applied();
        const audit = this.#audit(snapshot.services);
        return buildOverview({
          data,
          apps: snapshot.apps,
          services: snapshot.services,
          haproxy,
          warnings: [...this.problems(), ...audit.filter((w) => w.kind !== "overlap").map(({ id, message }) => ({ id, message }))],
          overlaps: audit.filter((w) => w.kind === "overlap").map((w) => ({ id: w.id, otherId: w.otherId ?? "", detail: w.message })),
        });
      },
      haproxyStates: async () => (supervisor.isRunning() ? await serverViewsFromState(await runtime.send("show servers state")) : new Map()),
      pollMs: OVERVIEW_POLL_MS,
      log,
    });
  }

  static async create(config: Config, log: Logger, version: string): Promise<Appliance> {
    const paths = runtimePaths(config);
    await mkdir(paths.dataDir, { recursive: true });
    const credentials = await resolveCredentials(config, paths.dataDir, log);
    const template = await loadTemplateSource(config.haproxy.templatePath);
    const render = compileTemplate(template.name, template.source);
    await refuseBrokenTemplate(config, paths, render, template.name);
    const store = createStore(config, paths, log);
    const aclChecker = new AclChecker(config.haproxy.bin);
    const supervisor = new HAProxySupervisor({
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
    const pipeline = new RoutingPipeline({ render, settings: templateSettings(config, paths), aclChecker, resolver: new HostResolver(), applier, log });
    // One transport: the endpoint and leader the watcher or the client learns serve both.
    const transport = new MarathonTransport(config.marathon);
    const marathon = new MarathonClient(transport, { log });
    const watcher = new MarathonWatcher(transport, config.marathon, { log, callbackUrl: `${config.bamboo.endpoint.replace(/\/+$/, "")}/api/marathon/event_callback` });
    let listProblems: readonly RoutingProblem[] = [];
    const reconciler = new Reconciler({
      marathon: {
        fetchApps: async () => {
          const list = await marathon.fetchApps();
          for (const problem of list.problems) log.warn("marathon app left out", { ...problem });
          listProblems = list.problems.map((problem) => ({ id: problem.appId, message: `Marathon's entry: ${problem.message}` }));
          return list;
        },
        fetchApp: (id) => marathon.fetchApp(id),
      },
      services: () => store.list(),
      apply: async (snapshot, reasons) => {
        const outcome = await pipeline.apply(snapshot, reasons);
        // A start or reload that failed (a port still held, say) is worth retrying; an invalid config is not.
        if (outcome.kind === "failed") throw new Error(outcome.message);
        if (outcome.kind === "invalid" && !applier.status().serving) appliance.#fatal.resolve(outcome.message);
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
    const appliance = new Appliance(config, paths, store, aclChecker, credentials, supervisor, applier, pipeline, watcher, reconciler, runtime, log, version, () => listProblems);
    return appliance;
  }

  /**
   * Settles with HAProxy's message when the first config it is given is refused and no app
   * is to blame: with nothing good to fall back on, running on would only look healthy.
   */
  fatal(): Promise<string> {
    return this.#fatal.promise;
  }

  /** Checks every stored rule against every other: quadratic, so only when the rules changed. */
  #audit(services: readonly { id: string; acl: string }[]) {
    const key = services.map((service) => `${service.id}\u0000${service.acl}`).join("\u0001");
    if (key !== this.#auditFor.key) this.#auditFor = { key, warnings: auditStoredRules(services, this.config.bamboo.aclPolicy) };
    return this.#auditFor.warnings;
  }

  /** Starts the sources and the loop; HAProxy starts with the first applied snapshot. */
  async start(): Promise<void> {
    // Early, so /api/status shows an HAProxy left by an earlier run while ours waits for Marathon.
    await this.supervisor.findLeftover();
    await this.store.start();
    this.store.watch(() => this.reconciler.servicesChanged());
    this.pipeline.onApplied(() => this.overview.invalidate());
    this.supervisor.onEvent((event) => {
      if (event.type !== "restarted") return;
      // HAProxy came back from the file on disk, which is always the current config.
      this.applier.restarted();
      this.reconciler.notify({ kind: "all", reason: "haproxy restarted" });
    });
    this.watcher.start((change) => this.reconciler.notify(change));
    this.reconciler.start();
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
    this.reconciler.stop();
    this.applier.close();
    await this.watcher.stop();
    await this.supervisor.stop(options);
    await this.store.close();
  }

  ready(): boolean {
    return this.notReadyReason() === "";
  }

  notReadyReason(): string {
    if (this.#draining) return "shutting down";
    if (!this.reconciler.status().synced) return "waiting for the first Marathon sync";
    if (!this.applier.status().serving) return "HAProxy has no valid config yet";
    if (!this.supervisor.isRunning()) return "HAProxy is not running";
    const staleAfterMs = this.config.bamboo.staleUnreadyAfterMs;
    const pending = this.pipeline.pending();
    if (staleAfterMs !== null && pending !== null && Date.now() - pending.sinceMs >= staleAfterMs) {
      return `the wanted config has not been applied for ${Math.round((Date.now() - pending.sinceMs) / 1000)} s (BAMBOO_STALE_UNREADY_AFTER): ${pending.reason}`;
    }
    return "";
  }

  /** The template data of the config HAProxy runs, as `/api/state` and the request tester see it. */
  templateData() {
    return this.pipeline.applied().data;
  }

  /**
   * Everything not routed as written or not applied: the running config's problems, a wanted
   * config HAProxy does not run, a config file behind, Marathon entries left out, a held list.
   */
  problems(): readonly RoutingProblem[] {
    const pending = this.pipeline.pending();
    const fileError = this.applier.status().configFileError;
    const holding = this.reconciler.status().holding;
    return [
      ...this.pipeline.applied().problems,
      ...(pending ? [{ id: "", message: `not applied: ${pending.reason}${this.applier.status().serving ? "; the previous config keeps serving" : ""}` }] : []),
      ...(fileError ? [{ id: "", message: `the config file is behind what HAProxy runs, so a restart of HAProxy would lose changes: ${fileError}` }] : []),
      ...(holding ? [{ id: "", message: holding }] : []),
      ...this.marathonProblems(),
    ];
  }

  /** How long the wanted config has not been applied; 0 when HAProxy runs it. */
  #pendingSeconds(): number {
    const pending = this.pipeline.pending();
    return pending === null ? 0 : (Date.now() - pending.sinceMs) / 1000;
  }

  marathonCallback(event: unknown): void {
    const change = this.watcher.changeFromCallback(event);
    if (change) this.reconciler.notify(change);
  }

  metrics(): MetricsSnapshot {
    const apply = this.applier.status();
    const watcher = this.watcher.status();
    const data = this.pipeline.applied().data;
    return {
      ready: this.ready(),
      apps: data.Apps.length,
      routedTasks: data.Apps.reduce((sum, app) => sum + app.Tasks.length, 0),
      reloadsByReason: apply.reloadReasons,
      failedReloads: apply.failedReloads,
      invalidConfigs: apply.invalidConfigs,
      runtimeOperations: apply.runtimeOperations,
      lastReloadSeconds: apply.lastReloadMs === null ? null : apply.lastReloadMs / 1000,
      haproxyRestarts: this.supervisor.state().restarts,
      marathonRequests: this.reconciler.status().marathonRequests,
      marathonEvents: watcher.eventsReceived,
      marathonStreamConnected: watcher.streamConnected,
      marathonReconnects: watcher.reconnects,
      storeConnected: this.store.status().connected,
      problems: this.problems().length,
      configPendingSeconds: this.#pendingSeconds(),
    };
  }

  status() {
    const apply = this.applier.status();
    const process = this.supervisor.state();
    return {
      version: this.version,
      ready: this.ready(),
      notReadyReason: this.notReadyReason() || undefined,
      marathon: { ...this.watcher.status(), sync: this.reconciler.status() },
      store: this.store.status(),
      haproxy: {
        ...process,
        reloads: apply.reloads,
        reloadReasons: apply.reloadReasons,
        failedReloads: apply.failedReloads,
        invalidConfigs: apply.invalidConfigs,
        runtimeOperations: apply.runtimeOperations,
        runtimeApplies: apply.runtimeApplies,
        lastReloadAt: apply.lastReloadAt,
        lastReloadMs: apply.lastReloadMs,
        lastReloadReasons: apply.lastReloadReasons,
        lastError: apply.lastError ?? process.lastError,
        restarts: process.restarts,
        configPath: this.paths.haproxyConfig,
      },
      config: this.#configStatus(),
      problems: this.problems(),
    };
  }

  #configStatus() {
    const applied = this.pipeline.applied();
    const pending = this.pipeline.pending();
    return {
      version: this.applier.runningVersion(),
      appliedAt: applied.appliedAt,
      apps: applied.snapshot.apps.length,
      pending:
        pending === null
          ? null
          : { since: new Date(pending.sinceMs).toISOString(), seconds: this.#pendingSeconds(), reason: pending.reason, apps: pending.apps, retrying: !pending.refused },
      fileError: this.applier.status().configFileError,
    };
  }
}
