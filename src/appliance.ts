import { mkdir } from "node:fs/promises";
import type { Config } from "./config/config.ts";
import { runtimePaths, type RuntimePaths } from "./config/paths.ts";
import { AclChecker } from "./haproxy/acl-check.ts";
import { ConfigApplier } from "./haproxy/apply.ts";
import { HAProxySupervisor } from "./haproxy/supervisor.ts";
import { compileTemplate, loadTemplateSource } from "./haproxy/template.ts";
import { templateSettings } from "./haproxy/template-settings.ts";
import type { ApplianceView } from "./http/server.ts";
import { MarathonClient } from "./marathon/client.ts";
import { MarathonWatcher } from "./marathon/watcher.ts";
import { createStore } from "./store/index.ts";
import type { Store } from "./store/types.ts";
import { RoutingPipeline } from "./sync/pipeline.ts";
import { Reconciler } from "./sync/reconciler.ts";
import type { Logger } from "./system/log.ts";

/** How long events are gathered before one apply; keeps event→routable latency low. */
const COALESCE_MS = 25;
/** Above this many stale apps, one full fetch replaces single-app fetches. */
const MAX_APP_FETCHES = 20;

/**
 * The running appliance: every component built from one Config and wired in the one-way
 * flow sources → reconciler → pipeline → HAProxy, with a read-only view for the HTTP layer.
 */
export class Appliance implements ApplianceView {
  #draining = false;

  private constructor(
    readonly config: Config,
    readonly paths: RuntimePaths,
    readonly store: Store,
    readonly aclChecker: AclChecker,
    private readonly supervisor: HAProxySupervisor,
    private readonly applier: ConfigApplier,
    private readonly pipeline: RoutingPipeline,
    private readonly marathon: MarathonClient,
    private readonly watcher: MarathonWatcher,
    private readonly reconciler: Reconciler,
    private readonly log: Logger,
    private readonly version: string,
  ) {}

  static async create(config: Config, log: Logger, version: string): Promise<Appliance> {
    const paths = runtimePaths(config);
    await mkdir(paths.dataDir, { recursive: true });
    const template = await loadTemplateSource(config.haproxy.templatePath);
    const render = compileTemplate(template.name, template.source);
    const store = createStore(config, paths, log);
    const aclChecker = new AclChecker(config.haproxy.bin);
    const supervisor = new HAProxySupervisor({
      bin: config.haproxy.bin,
      configPath: paths.haproxyConfig,
      masterSocketPath: paths.masterSocket,
      hardStopAfterMs: config.haproxy.hardStopAfterMs,
      log: (level, message, fields) => log[level](message, fields),
    });
    const applier = new ConfigApplier({ bin: config.haproxy.bin, configPath: paths.haproxyConfig, process: supervisor, log });
    const pipeline = new RoutingPipeline({ render, settings: templateSettings(config, paths), aclChecker, applier, log });
    const marathon = new MarathonClient(config.marathon, { log });
    const watcher = new MarathonWatcher(config.marathon, { log, callbackUrl: `${config.bamboo.endpoint.replace(/\/+$/, "")}/api/marathon/event_callback` });
    const reconciler = new Reconciler({
      marathon: {
        fetchApps: async () => {
          const list = await marathon.fetchApps();
          for (const problem of list.problems) log.warn("marathon app left out", { ...problem });
          return list.apps;
        },
        fetchApp: (id) => marathon.fetchApp(id),
      },
      services: () => store.list(),
      apply: pipeline.apply,
      log,
      settings: { coalesceMs: COALESCE_MS, resyncIntervalMs: config.marathon.resyncIntervalMs, maxAppFetches: MAX_APP_FETCHES },
    });
    return new Appliance(config, paths, store, aclChecker, supervisor, applier, pipeline, marathon, watcher, reconciler, log, version);
  }

  /** Starts the sources and the loop; HAProxy starts with the first applied snapshot. */
  async start(): Promise<void> {
    await this.store.start();
    this.store.watch(() => this.reconciler.servicesChanged());
    this.supervisor.onEvent((event) => {
      if (event.kind === "restarted") this.reconciler.notify({ kind: "all", reason: "haproxy restarted" });
    });
    this.watcher.start((change) => this.reconciler.notify(change));
    this.reconciler.start();
  }

  /** Orderly stop: report not-ready first, stop watching, then stop HAProxy gracefully. */
  async stop(): Promise<void> {
    this.#draining = true;
    this.watcher.stop();
    this.reconciler.stop();
    await this.supervisor.stop();
    await this.store.close();
  }

  /** Turns /status to 503 so load balancers in front stop sending before HAProxy stops. */
  drain(): void {
    this.#draining = true;
  }

  ready(): boolean {
    return this.notReadyReason() === "";
  }

  notReadyReason(): string {
    if (this.#draining) return "shutting down";
    if (!this.reconciler.status().synced) return "waiting for the first Marathon sync";
    if (this.applier.status().serving === null) return "HAProxy has no valid config yet";
    if (!this.supervisor.isRunning()) return "HAProxy is not running";
    return "";
  }

  templateData() {
    return this.pipeline.templateData();
  }

  marathonCallback(event: unknown): void {
    const change = this.watcher.changeFromCallback(event);
    if (change) this.reconciler.notify(change);
  }

  status() {
    const apply = this.applier.status();
    return {
      version: this.version,
      ready: this.ready(),
      notReadyReason: this.notReadyReason() || undefined,
      marathon: { ...this.watcher.status(), sync: this.reconciler.status() },
      store: this.store.status(),
      haproxy: {
        ...this.supervisor.state(),
        reloads: apply.reloads,
        failedReloads: apply.failedReloads,
        invalidConfigs: apply.invalidConfigs,
        lastReloadAt: apply.lastReloadAt,
        lastReloadMs: apply.lastReloadMs,
        lastReloadReasons: apply.lastReloadReasons,
        lastError: apply.lastError,
        configPath: this.paths.haproxyConfig,
      },
      ruleProblems: this.pipeline.ruleProblems(),
    };
  }
}
