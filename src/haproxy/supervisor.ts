import { errorMessage } from "../system/error-message.ts";
import type { HAProxyLineLevel } from "./output-lines.ts";
import type { LogFields, LogLevel } from "../system/log.ts";
import { parentDeathPrefix } from "../system/parent-death.ts";
import { HAProxyError, SocketError } from "./errors.ts";
import { stopSteps, type Leftover } from "./leftover.ts";
import { currentWorker, MasterCli, type ProcStatus } from "./master-cli.ts";
import { DEFAULT_RESTART_POLICY, recentFailures, restartDelayMs, type RestartPolicy } from "./restart-delay.ts";
import {
  describeExit,
  forEachLine,
  OutputLog,
  spawnWithBun,
  type ProcessExit,
  type SpawnProcess,
  signalQuietly,
  type SupervisedProcess,
  withinMs,
} from "./supervisor-process.ts";
import type { ReloadResult, SupervisorEvent, SupervisorOptions, SupervisorState } from "./supervisor-types.ts";
import { Takeover } from "./takeover.ts";
import { validateConfig } from "./validate.ts";

export { haproxyVersion, spawnWithBun, type ProcessExit, type SpawnProcess, type SupervisedProcess } from "./supervisor-process.ts";
export type { LeftoverState, ReloadResult, SupervisorEvent, SupervisorOptions, SupervisorState, SupervisorStatus } from "./supervisor-types.ts";

const LOG_LEVEL: Record<HAProxyLineLevel, LogLevel> = { alert: "error", warning: "warn", notice: "info", other: "info" };
const POLL_MS = 25;
/** After a failed reload the master's alert lines may trail the `show proc` answer a little. */
const ALERT_GRACE_MS = 1_000;

/**
 * The only owner of the HAProxy process of a data directory. Runs HAProxy in master-worker
 * mode with a master CLI, reloads through that CLI and confirms the outcome, restarts a
 * crashed master (at once, backing off only in a crash loop), and stops gracefully. The
 * config file on disk is always the current one, so whatever starts HAProxy again comes
 * back with the right routing.
 *
 * An HAProxy an earlier run left serving is taken over by replacement: it serves until ours
 * serves (SO_REUSEPORT lets both listen), then gets the same graceful stop as ours would.
 */
export class HAProxySupervisor {
  private readonly cli: MasterCli;
  private readonly spawn: SpawnProcess;
  private readonly output = new OutputLog();
  private readonly listeners = new Set<(event: SupervisorEvent) => void>();
  private readonly restartPolicy: RestartPolicy;
  /** Prepended to HAProxy's command line: setpriv, for a parent-death signal. */
  private readonly launchPrefix: readonly string[];
  private child: SupervisedProcess | null = null;
  /** Times of recent crashes and failed restarts, for the crash-loop backoff. */
  private failures: number[] = [];
  private readonly takeover: Takeover;
  private current: { -readonly [K in keyof Omit<SupervisorState, "leftover">]: SupervisorState[K] } = {
    status: "stopped",
    masterPid: null,
    workerPid: null,
    restarts: 0,
    reloads: 0,
    failedReloads: 0,
    lastReloadAt: null,
    lastReloadMs: null,
    lastError: null,
    version: null,
  };
  private stopping = false;
  private wakeFromBackoff: (() => void) | null = null;
  private reloadQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SupervisorOptions) {
    this.spawn = options.spawn ?? spawnWithBun;
    this.cli = new MasterCli(options.masterSocketPath, { reloadTimeoutMs: options.reloadTimeoutMs ?? 15_000 });
    const backoff = options.restartBackoffMs;
    this.restartPolicy = backoff ? { ...DEFAULT_RESTART_POLICY, initialMs: backoff.initial, maxMs: backoff.max } : DEFAULT_RESTART_POLICY;
    const prefix = options.exitWithBamboo ? parentDeathPrefix("SIGUSR1") : [];
    if (prefix === null) {
      this.log("warn", "setpriv (util-linux) not found: HAProxy is started without a parent-death signal, so if bamboo is killed (SIGKILL, OOM) its HAProxy keeps serving the last config until bamboo starts again on this data directory and retires it");
    }
    this.launchPrefix = prefix ?? [];
    this.takeover = new Takeover({ pidFilePath: options.pidFilePath, cli: this.cli, hardStopAfterMs: options.hardStopAfterMs, log: (...args) => this.log(...args) });
  }

  /** A copy of the current state. */
  state(): SupervisorState {
    return { ...this.current, leftover: this.takeover.state() };
  }

  /** True while a master with a worker is serving. */
  isRunning(): boolean {
    return this.current.status === "running";
  }

  /**
   * The master's process table (current and old workers), or null when no master answers.
   * Old workers piling up under long-lived connections show here.
   */
  async processes(): Promise<ProcStatus | null> {
    if (!this.child) return null;
    return this.cli.showProc().catch(() => null);
  }

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (event: SupervisorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Looks, once, for an HAProxy an earlier run left serving on this data directory, and
   * records it in the state. start() and stop() look too; calling it first only makes the
   * finding visible before HAProxy starts.
   */
  findLeftover(): Promise<Leftover> {
    return this.takeover.find();
  }

  /**
   * Starts HAProxy and resolves once its master answers and a worker exists; then a
   * leftover HAProxy, if any, is stopped. While a crash restart is under way it does
   * nothing: a second master would fight the first for the master socket.
   * @throws HAProxyError with HAProxy's own alert lines when it does not come up.
   */
  async start(): Promise<void> {
    const status = this.current.status;
    if (status === "running" || status === "starting" || status === "restarting") return;
    this.stopping = false;
    this.current.status = "starting";
    try {
      // Before ours replaces the pid file and socket that name a leftover.
      await this.takeover.find();
      if (this.stopping) throw new HAProxyError("stopped before HAProxy started");
      const { masterPid, workerPid } = await this.launch();
      this.current.status = "running";
      this.emit({ type: "started", masterPid, workerPid });
      // Ours serves now, on the same port: the leftover's listeners can close without a gap.
      void this.takeover.retire(false);
    } catch (error) {
      // A stop() during start kills the master on purpose: that is a stop, not a failure.
      this.current.status = this.stopping ? "stopped" : "failed";
      this.current.lastError = errorMessage(error);
      throw error;
    }
  }

  /**
   * Reloads HAProxy through the master CLI and waits for the outcome. Calls are serialised:
   * a second reload starts after the first has been confirmed. A failed reload leaves the
   * old worker serving; the message is HAProxy's own reason.
   */
  reload(): Promise<ReloadResult> {
    const run = this.reloadQueue.then(() => this.reloadOnce());
    this.reloadQueue = run.catch(() => undefined);
    return run;
  }

  /** A second stop request: end HAProxy (and a leftover) now rather than wait for old connections to finish. */
  hurry(): void {
    if (!this.stopping) return;
    if (this.child) signalQuietly(this.child, "SIGTERM");
    this.takeover.hurry();
  }

  /**
   * Graceful stop: SIGUSR1 lets workers finish their connections; after `hardStopAfterMs`
   * SIGTERM, and SIGKILL if even that is ignored; `now` starts at SIGTERM. A leftover
   * HAProxy is stopped the same way, even if ours never started. Resolves once all have
   * exited. Nothing is restarted afterwards.
   */
  async stop(options: { now?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.wakeFromBackoff?.();
    await Promise.all([this.stopChild(options.now ?? false), this.takeover.retire(options.now ?? false)]);
  }

  private async stopChild(now: boolean): Promise<void> {
    const child = this.child;
    if (!child) {
      this.current.status = "stopped";
      return;
    }
    let exit: ProcessExit | null = null;
    for (const [signal, waitMs] of stopSteps(this.options.hardStopAfterMs, now)) {
      this.log("info", "stopping HAProxy", { signal, pid: child.pid });
      signalQuietly(child, signal);
      exit = await withinMs(child.exited, waitMs);
      if (exit) break;
    }
    exit ??= await child.exited;
    this.current = { ...this.current, status: "stopped", masterPid: null, workerPid: null };
    this.emit({ type: "stopped", exit });
  }

  private async launch(): Promise<{ masterPid: number; workerPid: number }> {
    const { bin, masterSocketPath, configPath, pidFilePath } = this.options;
    const argv = [...this.launchPrefix, bin, "-W", "-db", "-S", `${masterSocketPath},level,admin`, "-f", configPath, "-p", pidFilePath];
    const mark = this.output.mark;
    const child = this.spawn(argv);
    this.child = child;
    if (child.stdout && this.options.stdout) this.options.stdout(child.stdout);
    for (const stream of this.options.stdout ? [child.stderr] : [child.stdout, child.stderr]) {
      if (stream) void forEachLine(stream, (line) => this.onOutput(line)).catch(() => undefined);
    }
    let exit: ProcessExit | null = null;
    void child.exited.then((result) => {
      exit = result;
      this.onExit(child, result);
    });
    const timeoutMs = this.options.startTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exit) throw new HAProxyError(this.failureText(`HAProxy exited while starting (${describeExit(exit)})`, mark));
      const worker = await this.cli.showProc().then(
        (status) => ({ status, worker: currentWorker(status) }),
        (error: unknown) => {
          if (error instanceof SocketError) return null;
          throw error;
        },
      );
      // Until ours binds the socket, a leftover master may still answer on it.
      if (worker?.worker && !exit && worker.status.master.pid === child.pid) {
        this.current.masterPid = worker.status.master.pid;
        this.current.workerPid = worker.worker.pid;
        this.current.version = worker.status.master.version || this.current.version;
        return { masterPid: worker.status.master.pid, workerPid: worker.worker.pid };
      }
      await Bun.sleep(POLL_MS);
    }
    signalQuietly(child, "SIGKILL");
    await child.exited;
    throw new HAProxyError(this.failureText(`HAProxy did not start within ${timeoutMs} ms`, mark));
  }

  private onOutput(line: string): void {
    const parsed = this.output.push(line);
    // Routine, caused by bamboo itself: every reload makes the old worker announce each proxy
    // it stops, and every task that goes parks its slot in maintenance.
    const routine =
      /^Proxy \S+ stopped \(cumulated conns/.test(parsed.text) ||
      /^Server \S+ (is going DOWN for maintenance|is UP\/READY \(leaving forced maintenance\))/.test(parsed.text) ||
      /^(haproxy version is|path to executable is)/.test(parsed.text);
    this.log(routine ? "debug" : LOG_LEVEL[parsed.level], `haproxy: ${parsed.text}`);
  }

  private onExit(child: SupervisedProcess, exit: ProcessExit): void {
    if (child !== this.child) return;
    this.child = null;
    this.current.masterPid = null;
    this.current.workerPid = null;
    // start() and stop() handle the exits they cause; only a crash of a serving master restarts.
    if (this.stopping || this.current.status !== "running") return;
    const message = this.failureText(`HAProxy master exited unexpectedly (${describeExit(exit)})`, 0);
    this.current.lastError = message;
    this.current.status = "restarting";
    this.log("error", message, { exit: describeExit(exit) });
    this.emit({ type: "crashed", exit, message });
    this.recordFailure();
    void this.restartLoop(exit);
  }

  private recordFailure(): void {
    const now = Date.now();
    this.failures = [...recentFailures(this.failures, now, this.restartPolicy), now];
  }

  private async restartLoop(exit: ProcessExit): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      const delay = restartDelayMs(this.failures, Date.now(), this.restartPolicy);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeFromBackoff = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeFromBackoff = null;
      if (this.stopping) return;
      try {
        const { masterPid, workerPid } = await this.launch();
        if (this.stopping) return;
        this.current.restarts += 1;
        this.current.status = "running";
        this.log("warn", "HAProxy restarted after a crash", { masterPid, workerPid, exit: describeExit(exit) });
        this.emit({ type: "restarted", exit, masterPid, workerPid, restarts: this.current.restarts });
        return;
      } catch (error) {
        // A stop during the attempt killed it; that is not a failed restart.
        if (this.stopping) return;
        const message = errorMessage(error);
        this.current.lastError = message;
        this.log("error", "HAProxy restart failed", { attempt, error: message });
        this.emit({ type: "restart-failed", message, attempt });
        this.recordFailure();
      }
    }
  }

  private async reloadOnce(): Promise<ReloadResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    if (this.current.status !== "running") {
      return { ok: false, message: `HAProxy is not running (${this.current.status})`, durationMs: elapsed() };
    }
    const mark = this.output.mark;
    let message: string;
    try {
      const outcome = await this.cli.reload();
      if (outcome.ok) {
        const durationMs = elapsed();
        this.current = {
          ...this.current,
          workerPid: outcome.workerPid,
          reloads: this.current.reloads + 1,
          lastReloadAt: new Date().toISOString(),
          lastReloadMs: durationMs,
        };
        this.emit({ type: "reloaded", workerPid: outcome.workerPid, durationMs });
        return { ok: true, durationMs, workerPid: outcome.workerPid };
      }
      message =
        outcome.reason === "timeout"
          ? "HAProxy did not report the reload's outcome in time"
          : outcome.reason === "master-changed"
            ? "the HAProxy master died during the reload; it restarts from the config on disk"
            : await this.reloadFailureReason(mark);
    } catch (error) {
      message = `reload through the master CLI failed: ${errorMessage(error)}`;
    }
    const durationMs = elapsed();
    this.current = { ...this.current, failedReloads: this.current.failedReloads + 1, lastError: message };
    this.emit({ type: "reload-failed", message, durationMs });
    return { ok: false, message, durationMs };
  }

  // The master logs why a reload failed on its stderr; if that was not captured (an
  // injected spawn without output), `haproxy -c` on the same file says the same.
  private async reloadFailureReason(mark: number): Promise<string> {
    const deadline = Date.now() + ALERT_GRACE_MS;
    while (Date.now() < deadline) {
      if (this.output.since(mark).some((line) => /Loading failure/.test(line.text))) break;
      await Bun.sleep(POLL_MS);
    }
    const alerts = this.output.alertsSince(mark);
    if (alerts.length > 0) return alerts.join("; ");
    const validation = await validateConfig(this.options.bin, this.options.configPath);
    return validation.ok ? "HAProxy reported a failed reload" : validation.message;
  }

  private failureText(headline: string, mark: number): string {
    const alerts = this.output.alertsSince(mark).slice(-5);
    return alerts.length > 0 ? `${headline}: ${alerts.join("; ")}` : headline;
  }

  private emit(event: SupervisorEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log("error", "supervisor event listener failed", { event: event.type, error: errorMessage(error) });
      }
    }
  }

  private log(level: LogLevel, message: string, fields?: LogFields): void {
    this.options.log?.(level, message, fields);
  }
}
