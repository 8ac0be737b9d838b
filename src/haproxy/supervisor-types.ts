import type { LogFields, LogLevel } from "../system/log.ts";
import type { ProcessExit, SpawnProcess } from "./supervisor-process.ts";

/** Options of {@link HAProxySupervisor}. */
export interface SupervisorOptions {
  readonly bin: string;
  readonly configPath: string;
  readonly masterSocketPath: string;
  /** A graceful stop waits this long for old connections before SIGTERM. */
  readonly hardStopAfterMs: number;
  readonly log?: (level: LogLevel, message: string, fields?: LogFields) => void;
  readonly spawn?: SpawnProcess;
  /** How long a start (or restart) may take before it counts as failed. */
  readonly startTimeoutMs?: number;
  /** How long a reload may take before it counts as failed. */
  readonly reloadTimeoutMs?: number;
  /** First and largest pause before restarting a crashed master. */
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
