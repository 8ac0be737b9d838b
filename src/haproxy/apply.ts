import { rm } from "node:fs/promises";
import type { Logger } from "../system/log.ts";
import { writeFileAtomic } from "../system/atomic-file.ts";
import { contentVersion, LatestWriter } from "./config-file.ts";
import { writeServedTls } from "./certificate-files.ts";
import { planCertificates, type ServedTls } from "./certificate-plan.ts";
import { mapFileText, writeMapFiles, type MapFile } from "./map-files.ts";
import { abortCertificateCommand, type SslStep } from "./ssl-commands.ts";
import { commandText, mapVersionCommands, plan, planMaps, type Plan } from "./plan.ts";
import { prepareMapCommand, preparedMapVersion } from "./runtime-api.ts";
import { serverStateFor } from "./server-state.ts";
import { textPieces, type SlottedConfig } from "./slots.ts";
import { validateConfig } from "./validate.ts";
import { errorMessage } from "../system/error-message.ts";
import { Histogram, type HistogramSnapshot } from "../system/histogram.ts";

/** What the applier needs of the HAProxy process: the supervisor provides it. */
export interface HAProxyProcess {
  start(): Promise<void>;
  reload(): Promise<{ ok: true; durationMs: number } | { ok: false; message: string; durationMs: number }>;
  isRunning(): boolean;
}

/** What the applier needs of HAProxy's runtime API. */
export interface RuntimeApi {
  /** Runs the commands in order; rejects naming the first command HAProxy refused. */
  run(commands: readonly string[]): Promise<void>;
  /** One command's raw reply. */
  send(command: string): Promise<string>;
}

/** The files besides the config that HAProxy reads when it loads it: maps and HTTPS's certificates. */
export interface ConfigFiles {
  readonly maps: readonly MapFile[];
  readonly tls: ServedTls;
}

export const NO_FILES: ConfigFiles = { maps: [], tls: { crtList: "", certificates: [] } };

export type ApplyOutcome =
  | { readonly kind: "unchanged" }
  | { readonly kind: "runtime"; readonly operations: number }
  | { readonly kind: "started" }
  | { readonly kind: "reloaded"; readonly durationMs: number }
  | {
      readonly kind: "invalid";
      readonly message: string;
      /** HAProxy's error lines, and the config they refer to by line number. */
      readonly alerts: readonly string[];
      readonly config: string;
    }
  | { readonly kind: "failed"; readonly message: string };

export interface ApplyStatus {
  /** True once HAProxy serves a config bamboo applied. */
  readonly serving: boolean;
  readonly runtimeOperations: number;
  readonly runtimeApplies: number;
  readonly reloads: number;
  /** Reloads counted by their first reason's kind (first config, backend added, slots outgrown...). */
  readonly reloadReasons: Readonly<Record<string, number>>;
  readonly failedReloads: number;
  readonly invalidConfigs: number;
  readonly lastReloadAt: string | null;
  readonly lastReloadMs: number | null;
  readonly lastReloadReasons: readonly string[];
  readonly lastError: string | null;
  /** Why the config file on disk is behind what HAProxy runs (a full disk...), or null. */
  readonly configFileError: string | null;
}

export interface ApplierOptions {
  readonly bin: string;
  readonly configPath: string;
  readonly serverStatePath: string;
  readonly process: HAProxyProcess;
  readonly runtime: RuntimeApi;
  /** At most one reload per interval; a reload due sooner waits. */
  readonly reloadIntervalMs: number;
  readonly log: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Puts a rendered config in front of HAProxy the cheapest safe way. Task churn fills and
 * frees server slots through the runtime API, and the file on disk is rewritten to match
 * afterwards, off the event→routable path (a 3 MB write at 10,000 apps). Structural changes
 * are validated, then reloaded; when that fails the last good config stays on disk and
 * keeps serving.
 */
export class ConfigApplier {
  #running: SlottedConfig | null = null;
  /** The maps and certificates HAProxy loaded with {@link #running}, or changed at run time since. */
  #runningFiles: ConfigFiles = NO_FILES;
  /** Set when HAProxy restarted on its own: what it runs is the file on disk, which may lag. */
  #reloadBecause: string | null = null;
  readonly #disk: LatestWriter;
  readonly #applySeconds = new Histogram();
  readonly #reloadSeconds = new Histogram();
  /** One per map file changed at run time: like the config, rewritten off the rule write's path. */
  readonly #mapDisk = new Map<string, LatestWriter>();
  #lastReloadAtMs = Number.NEGATIVE_INFINITY;
  #status: ApplyStatus = {
    serving: false,
    runtimeOperations: 0,
    runtimeApplies: 0,
    reloads: 0,
    reloadReasons: {},
    failedReloads: 0,
    invalidConfigs: 0,
    lastReloadAt: null,
    lastReloadMs: null,
    lastReloadReasons: [],
    lastError: null,
    configFileError: null,
  };
  /** The content hash of the running config, computed when first asked for: hashing 3 MB has no place on the churn path. */
  #version: { readonly of: SlottedConfig; readonly hash: string } | null = null;

  constructor(private readonly options: ApplierOptions) {
    this.#disk = new LatestWriter(options.configPath, options.log);
  }

  status(): ApplyStatus {
    const configFileError = [this.#disk, ...this.#mapDisk.values()].map((writer) => writer.error()).find((error) => error !== null) ?? null;
    return configFileError === this.#status.configFileError ? this.#status : { ...this.#status, configFileError };
  }

  /** A content hash of the config HAProxy runs, or null before it runs one. */
  runningVersion(): string | null {
    const running = this.#running;
    if (running === null) return null;
    if (this.#version?.of !== running) this.#version = { of: running, hash: contentVersion(textPieces(running)) };
    return this.#version.hash;
  }

  /** Stops background retries of the config file; for shutdown. */
  close(): void {
    for (const writer of [this.#disk, ...this.#mapDisk.values()]) writer.close();
  }

  /** Resolves once the config and map files have caught up with what HAProxy runs. */
  async settled(): Promise<void> {
    await Promise.all([this.#disk, ...this.#mapDisk.values()].map((writer) => writer.settled()));
  }

  /** The config HAProxy runs, null before it runs one: the next config keeps its slots (compile/compiler.ts). */
  running(): SlottedConfig | null {
    return this.#running;
  }

  /**
   * `next` is best made from {@link running}: then only the sections it read again are
   * compared. `maps` are the map files it names (compile/compiler.ts).
   */
  async apply(next: SlottedConfig, reasons: readonly string[], files: ConfigFiles = NO_FILES): Promise<ApplyOutcome> {
    const started = performance.now();
    try {
      return await this.#apply(next, reasons, files);
    } finally {
      this.#applySeconds.observe((performance.now() - started) / 1000);
    }
  }

  /** How long applies and reloads took, for /metrics. */
  durations(): { readonly apply: HistogramSnapshot; readonly reload: HistogramSnapshot } {
    return { apply: this.#applySeconds.snapshot(), reload: this.#reloadSeconds.snapshot() };
  }

  async #apply(next: SlottedConfig, reasons: readonly string[], files: ConfigFiles): Promise<ApplyOutcome> {
    const { process: haproxy } = this.options;
    if (!haproxy.isRunning()) return this.#start(next, files, reasons);
    if (this.#reloadBecause !== null) return this.#reload(next, files, [this.#reloadBecause]);
    const decision: Plan = plan(this.#running, next);
    if (decision.kind === "reload") return this.#reload(next, files, decision.reasons);
    const mapPlan = planMaps(this.#runningFiles.maps, files.maps);
    if (mapPlan.kind === "reload") return this.#reload(next, files, mapPlan.reasons);
    const tlsPlan = planCertificates(this.#runningFiles.tls.certificates, files.tls.certificates, files.tls.crtList);
    if (tlsPlan.kind === "reload") return this.#reload(next, files, tlsPlan.reasons);
    if (decision.kind === "none" && mapPlan.kind === "none" && tlsPlan.kind === "none") {
      // Comments may still differ; the next render compares against this one.
      if (next.reread.some((section, i) => section !== next.replaced[i])) this.#disk.write(textPieces(next));
      this.#running = next;
      return { kind: "unchanged" };
    }
    const commands = decision.kind === "runtime" ? decision.commands.map(commandText) : [];
    const mapChange = mapPlan.kind === "runtime" ? mapPlan : { edits: [], replace: [], changed: [] };
    return this.#applyAtRuntime(next, {
      commands: [...commands, ...mapChange.edits],
      replacedMaps: mapChange.replace,
      changedMaps: mapChange.changed,
      sslSteps: tlsPlan.kind === "runtime" ? tlsPlan.steps : [],
      files,
      reasons,
    });
  }

  /**
   * After HAProxy restarted on its own (crash), it serves the file on disk: a valid config
   * bamboo wrote, but perhaps one runtime change behind (the file follows the runtime API).
   * The next apply therefore reloads, whatever it changes.
   */
  restarted(): void {
    if (this.#running === null) return;
    this.#reloadBecause = "haproxy restarted after a crash: reloading the current config";
    this.#update({ serving: true });
  }

  /**
   * `commands` first (slots, then key edits of maps), then each of `replacedMaps` whole, then
   * the certificates' steps; `changedMaps` and the certificates are rewritten on disk.
   */
  async #applyAtRuntime(
    next: SlottedConfig,
    change: {
      readonly commands: readonly string[];
      readonly replacedMaps: readonly MapFile[];
      readonly changedMaps: readonly MapFile[];
      readonly sslSteps: readonly SslStep[];
      readonly files: ConfigFiles;
      readonly reasons: readonly string[];
    },
  ): Promise<ApplyOutcome> {
    const { runtime, log } = this.options;
    const { files, reasons } = change;
    let operations = change.commands.length + change.sslSteps.length;
    try {
      if (change.commands.length > 0) await runtime.run(change.commands);
      for (const map of change.replacedMaps) {
        const version = preparedMapVersion(await runtime.send(prepareMapCommand(map.path)));
        const fill = mapVersionCommands(version, map);
        await runtime.run(fill);
        operations += 1 + fill.length;
      }
      await this.#runSslSteps(change.sslSteps);
    } catch (error) {
      log.warn("runtime API update failed; reloading instead", { error, reasons });
      return this.#reload(next, files, [`runtime API failed: ${errorMessage(error)}`]);
    }
    this.#running = next;
    const tlsChanged = change.sslSteps.length > 0;
    this.#runningFiles = files;
    // A later reload or restart reads the files: they must hold what now runs (runtime changes
    // die with the worker). A crash before they catch up is covered by restarted(): the next
    // apply reloads, and a reload writes every file first.
    this.#disk.write(textPieces(next));
    for (const map of change.changedMaps) this.#mapWriter(map.path).write([mapFileText(map.entries)]);
    if (tlsChanged) {
      try {
        await writeServedTls(files.tls);
      } catch (error) {
        this.#reloadBecause = `certificate files could not be written after a runtime change: ${errorMessage(error)}`;
        log.error("could not write the certificate files; the next apply reloads", { error: errorMessage(error) });
      }
    }
    this.#update({
      runtimeOperations: this.#status.runtimeOperations + operations,
      runtimeApplies: this.#status.runtimeApplies + 1,
      lastError: null,
    });
    log.debug("applied through the runtime API", { operations, maps: change.changedMaps.length, certificates: tlsChanged, reasons });
    return { kind: "runtime", operations };
  }

  /**
   * Each step's reply must say it worked: these commands answer failures in many words. A
   * failed step may leave a certificate's transaction open, which would refuse the next one
   * for that file: it is aborted before the reload that follows takes over.
   */
  async #runSslSteps(steps: readonly SslStep[]): Promise<void> {
    for (const step of steps) {
      const reply = await this.options.runtime.send(step.command);
      if (step.success.test(reply)) continue;
      const path = /^(?:new|set|commit) ssl cert (\S+)/.exec(step.command)?.[1];
      if (path !== undefined) await this.options.runtime.send(abortCertificateCommand(path)).catch(() => undefined);
      throw new Error(`${step.command.split("\n")[0]}: ${reply.trim() || "no reply"}`);
    }
  }

  #mapWriter(path: string): LatestWriter {
    let writer = this.#mapDisk.get(path);
    if (writer === undefined) this.#mapDisk.set(path, (writer = new LatestWriter(path, this.options.log)));
    return writer;
  }

  async #validateAndWrite(next: SlottedConfig, files: ConfigFiles, reasons: readonly string[]): Promise<ApplyOutcome | null> {
    const { configPath, bin, log } = this.options;
    // A runtime change's write still under way must not land after this one, nor a retry of one later.
    await this.settled();
    for (const writer of [this.#disk, ...this.#mapDisk.values()]) writer.supersede();
    // HAProxy reads maps and certificates when it loads the config, haproxy -c included; the
    // running worker keeps what it loaded, so only a restart could see them before the config.
    await this.#writeFiles(files);
    const candidate = `${configPath}.candidate`;
    await writeFileAtomic(candidate, textPieces(next));
    const verdict = await validateConfig(bin, candidate);
    await rm(candidate, { force: true });
    if (!verdict.ok) {
      await this.#writeFiles(this.#runningFiles);
      const message = `HAProxy refuses the generated config: ${verdict.message}`;
      this.#update({ invalidConfigs: this.#status.invalidConfigs + 1, lastError: message });
      log.error("config rejected by haproxy -c", { reasons, error: verdict.message });
      return { kind: "invalid", message, alerts: verdict.alerts, config: next.text };
    }
    await writeFileAtomic(configPath, textPieces(next));
    return null;
  }

  async #start(next: SlottedConfig, files: ConfigFiles, reasons: readonly string[]): Promise<ApplyOutcome> {
    const refused = await this.#validateAndWrite(next, files, reasons);
    if (refused) return refused;
    // A restart must not pick up the state of a previous run's slots.
    await this.#clearServerState();
    try {
      await this.options.process.start();
    } catch (error) {
      const message = `HAProxy did not start: ${withHint(errorMessage(error))}`;
      this.#update({ lastError: message });
      return { kind: "failed", message };
    }
    this.#running = next;
    this.#runningFiles = files;
    this.#reloadBecause = null;
    this.#update({ serving: true, lastError: null });
    this.options.log.info("haproxy started", { reasons });
    return { kind: "started" };
  }

  async #reload(next: SlottedConfig, files: ConfigFiles, reasons: readonly string[]): Promise<ApplyOutcome> {
    const { process: haproxy, log, configPath } = this.options;
    const now = this.options.now ?? Date.now;
    const wait = this.#lastReloadAtMs + this.options.reloadIntervalMs - now();
    if (wait > 0) await (this.options.sleep ?? Bun.sleep)(wait);

    const refused = await this.#validateAndWrite(next, files, reasons);
    if (refused) return refused;
    await this.#saveServerState(next);
    const outcome = await haproxy.reload();
    this.#reloadSeconds.observe(outcome.durationMs / 1000);
    // Only this reload may use the saved state: a later crash restart starts from the config.
    await this.#clearServerState();
    this.#lastReloadAtMs = now();
    if (!outcome.ok) {
      if (this.#running !== null) await writeFileAtomic(configPath, textPieces(this.#running));
      await this.#writeFiles(this.#runningFiles);
      const message = `reload failed, the previous config keeps serving: ${outcome.message}`;
      this.#update({ failedReloads: this.#status.failedReloads + 1, lastError: message });
      return { kind: "failed", message };
    }
    this.#running = next;
    this.#runningFiles = files;
    this.#reloadBecause = null;
    const kind = reasonKind(reasons[0] ?? "config changed");
    this.#update({
      serving: true,
      reloads: this.#status.reloads + 1,
      reloadReasons: { ...this.#status.reloadReasons, [kind]: (this.#status.reloadReasons[kind] ?? 0) + 1 },
      lastReloadAt: new Date(now()).toISOString(),
      lastReloadMs: outcome.durationMs,
      lastReloadReasons: reasons,
      lastError: null,
    });
    log.info("haproxy reloaded", { reasons, ms: Math.round(outcome.durationMs) });
    return { kind: "reloaded", durationMs: outcome.durationMs };
  }

  /** Maps and certificates on disk, as `files` has them: before a config is validated, and back to the running ones after a refusal. */
  async #writeFiles(files: ConfigFiles): Promise<void> {
    await writeMapFiles(files.maps);
    if (files.tls.crtList !== "") await writeServedTls(files.tls);
  }

  /** Health state of slots that keep their task survives the reload through the state file. */
  async #saveServerState(next: SlottedConfig): Promise<void> {
    try {
      const dump = await this.options.runtime.send("show servers state");
      await writeFileAtomic(this.options.serverStatePath, serverStateFor(dump, next.layout));
    } catch (error) {
      // Without it the reload still works; servers start from the config's state.
      await this.#clearServerState();
      this.options.log.warn("could not save server state before the reload", { error });
    }
  }

  /** A state file with no servers: HAProxy warns at every start when the file is missing. */
  async #clearServerState(): Promise<void> {
    await writeFileAtomic(this.options.serverStatePath, "1\n", { durable: false });
  }

  #update(changes: Partial<ApplyStatus>): void {
    this.#status = { ...this.#status, ...changes };
  }
}

/** Groups reload reasons for counting: "backend ::a-cluster added" → "backend added". */
export function reasonKind(reason: string): string {
  if (reason.startsWith("runtime API failed")) return "runtime API failed";
  if (reason.includes("outgrew")) return "slots outgrown";
  const section = /^(global|defaults|frontend|backend|listen|preamble)\b.*\b(added|removed|changed)$/.exec(reason);
  if (section) return `${section[1]} ${section[2]}`;
  return reason.replace(/:.*$/, "");
}

/** HAProxy's reason, with the setting to change when the reason is one a user hits on a first run. */
function withHint(reason: string): string {
  if (/cannot bind socket \(Permission denied\)/.test(reason)) {
    return `${reason}; this user may not listen on a port below 1024: set HAPROXY_HTTP_BIND to a higher port (e.g. 127.0.0.1:8081), or run as root or with cap_net_bind_service`;
  }
  if (/cannot bind socket \(Address already in use\)/.test(reason)) return `${reason}; another program listens there: stop it or set HAPROXY_HTTP_BIND`;
  return reason;
}
