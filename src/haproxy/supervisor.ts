import type { LogFields, LogLevel } from "../system/log.ts";
import { HAProxyError, SocketError } from "./errors.ts";
import { currentWorker, MasterCli, type ProcStatus } from "./master-cli.ts";
import {
  describeExit,
  errorMessage,
  forEachLine,
  OutputLog,
  spawnWithBun,
  type HAProxyLineLevel,
  type ProcessExit,
  type SpawnProcess,
  signalQuietly,
  type SupervisedProcess,
  withinMs,
} from "./supervisor-process.ts";
import type { ReloadResult, SupervisorEvent, SupervisorOptions, SupervisorState } from "./supervisor-types.ts";
import { validateConfig } from "./validate.ts";

export { haproxyVersion, spawnWithBun, type ProcessExit, type SpawnProcess, type SupervisedProcess } from "./supervisor-process.ts";
export type { ReloadResult, SupervisorEvent, SupervisorOptions, SupervisorState, SupervisorStatus } from "./supervisor-types.ts";

const LOG_LEVEL: Record<HAProxyLineLevel, LogLevel> = { alert: "error", warning: "warn", notice: "info", other: "info" };
const POLL_MS = 25;
/** After a failed reload the master's alert lines may trail the `show proc` answer a little. */
const ALERT_GRACE_MS = 1_000;
/** A master that ran this long before crashing resets the backoff: it was not a crash loop. */
const STABLE_AFTER_MS = 30_000;

/**
 * The only owner of the HAProxy process. Runs HAProxy in master-worker mode with a master
 * CLI, reloads through that CLI and confirms the outcome, restarts a crashed master with
 * capped backoff, and stops gracefully. The config file on disk is always the current one,
 * so whatever starts HAProxy again comes back with the right routing.
 */
export class HAProxySupervisor {
  private readonly cli: MasterCli;
  private readonly spawn: SpawnProcess;
  private readonly output = new OutputLog();
  private readonly listeners = new Set<(event: SupervisorEvent) => void>();
  private child: SupervisedProcess | null = null;
  private childStartedAt = 0;
  private current: { -readonly [K in keyof SupervisorState]: SupervisorState[K] } = {
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
  }

  /** A copy of the current state. */
  state(): SupervisorState {
    return { ...this.current };
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
   * Starts HAProxy and resolves once its master answers and a worker exists. While a
   * crash restart is under way it does nothing: a second master would fight the first for
   * the master socket.
   * @throws HAProxyError with HAProxy's own alert lines when it does not come up.
   */
  async start(): Promise<void> {
    const status = this.current.status;
    if (status === "running" || status === "starting" || status === "restarting") return;
    this.stopping = false;
    this.current.status = "starting";
    try {
      const { masterPid, workerPid } = await this.launch();
      this.current.status = "running";
      this.emit({ type: "started", masterPid, workerPid });
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

  /**
   * Graceful stop: SIGUSR1 lets workers finish their connections; after `hardStopAfterMs`
   * SIGTERM, and SIGKILL if even that is ignored. Resolves once the master has exited.
   * Nothing is restarted afterwards.
   */
  /** A second stop request: end HAProxy now rather than wait for old connections to finish. */
  hurry(): void {
    if (this.stopping && this.child) signalQuietly(this.child, "SIGTERM");
  }

  /** Graceful unless `now`: SIGUSR1 lets old connections finish; `now` starts at SIGTERM. */
  async stop(options: { now?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.wakeFromBackoff?.();
    const child = this.child;
    if (!child) {
      this.current.status = "stopped";
      return;
    }
    const escalation: readonly [NodeJS.Signals, number][] = [
      ...(options.now ? [] : [["SIGUSR1", this.options.hardStopAfterMs] as [NodeJS.Signals, number]]),
      ["SIGTERM", 5_000],
      ["SIGKILL", 5_000],
    ];
    let exit: ProcessExit | null = null;
    for (const [signal, waitMs] of escalation) {
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
    const argv = [this.options.bin, "-W", "-db", "-S", `${this.options.masterSocketPath},level,admin`, "-f", this.options.configPath];
    const mark = this.output.mark;
    const child = this.spawn(argv);
    this.child = child;
    this.childStartedAt = Date.now();
    for (const stream of [child.stdout, child.stderr]) {
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
      if (worker?.worker && !exit) {
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
    const ranLong = Date.now() - this.childStartedAt >= STABLE_AFTER_MS;
    void this.restartLoop(exit, ranLong);
  }

  private async restartLoop(exit: ProcessExit, ranLong: boolean): Promise<void> {
    const { initial, max } = this.options.restartBackoffMs ?? { initial: 100, max: 10_000 };
    let delay = ranLong ? initial : Math.min(max, initial * 2 ** Math.min(this.current.restarts, 16));
    for (let attempt = 1; !this.stopping; attempt++) {
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
        delay = Math.min(max, delay * 2);
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
    this.log("error", "HAProxy reload failed; the previous config keeps serving", { error: message });
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
