import type { LogFields, LogLevel } from "../system/log.ts";
import type { ProcessExit, SpawnProcess } from "./supervisor-process.ts";

/** Options of {@link HAProxySupervisor}. */
export interface SupervisorOptions {
  readonly bin: string;
  readonly configPath: string;
  readonly masterSocketPath: string;
  /** HAProxy writes its master's pid here (`-p`); the next run finds a leftover master by it. */
  readonly pidFilePath: string;
  /**
   * Start HAProxy with a parent-death signal (SIGUSR1, its soft stop) so that it does not
   * outlive bamboo; warns once when setpriv is missing. The appliance sets it.
   */
  readonly exitWithBamboo?: boolean;
  /** A graceful stop waits this long for old connections before SIGTERM. */
  readonly hardStopAfterMs: number;
  readonly log?: (level: LogLevel, message: string, fields?: LogFields) => void;
  readonly spawn?: SpawnProcess;
  /** Takes each HAProxy master's stdout (its access logs) instead of reading it as HAProxy's own lines. */
  readonly stdout?: (stream: ReadableStream<Uint8Array>) => void;
  /** How long a start (or restart) may take before it counts as failed. */
  readonly startTimeoutMs?: number;
  /** How long a reload may take before it counts as failed. */
  readonly reloadTimeoutMs?: number;
  /**
   * Pauses between restarts once crashes loop (the first restarts are immediate): the
   * first pause and the largest.
   */
  readonly restartBackoffMs?: { readonly initial: number; readonly max: number };
}

export type SupervisorStatus = "starting" | "running" | "restarting" | "stopped" | "failed";

/** What the supervisor knows, for the status page and metrics. */
export interface SupervisorState {
  readonly status: SupervisorStatus;
  readonly masterPid: number | null;
  readonly workerPid: number | null;
  /** Restarts after a crash of the master. */
  readonly restarts: number;
  /** Successful reloads. */
  readonly reloads: number;
  readonly failedReloads: number;
  readonly lastReloadAt: string | null;
  readonly lastReloadMs: number | null;
  readonly lastError: string | null;
  /** HAProxy's version, as its master reports it. */
  readonly version: string | null;
  /** An HAProxy an earlier run left serving on this data directory, and what became of it. */
  readonly leftover: LeftoverState | null;
}

/** A leftover HAProxy: found serving, being stopped (by `signal`), or retired (exited). */
export interface LeftoverState {
  /** Its master processes (normally one). */
  readonly pids: readonly number[];
  readonly action: "found" | "stopping" | "retired";
  /** The last signal sent to it. */
  readonly signal: NodeJS.Signals | null;
  /** When `action` was taken. */
  readonly at: string;
}

/** Outcome of {@link HAProxySupervisor.reload}. */
export type ReloadResult =
  | { readonly ok: true; readonly durationMs: number; readonly workerPid: number }
  | { readonly ok: false; readonly message: string; readonly durationMs: number };

/** Things that happened to HAProxy; `restarted` tells the reconciler to re-apply runtime state. */
export type SupervisorEvent =
  | { readonly type: "started"; readonly masterPid: number; readonly workerPid: number }
  | { readonly type: "crashed"; readonly exit: ProcessExit; readonly message: string }
  | { readonly type: "restarted"; readonly exit: ProcessExit; readonly masterPid: number; readonly workerPid: number; readonly restarts: number }
  | { readonly type: "restart-failed"; readonly message: string; readonly attempt: number }
  | { readonly type: "reloaded"; readonly workerPid: number; readonly durationMs: number }
  | { readonly type: "reload-failed"; readonly message: string; readonly durationMs: number }
  | { readonly type: "stopped"; readonly exit: ProcessExit };
