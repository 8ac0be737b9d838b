import { HAProxyError, SocketError } from "./errors.ts";
import { sendOverUnixSocket } from "./unix-socket.ts";

/** One process line of `show proc`. */
export interface ProcEntry {
  readonly pid: number;
  /** "master", "worker" or a program name. */
  readonly type: string;
  /** Reloads this process has lived through (for a worker: reloads since it was forked). */
  readonly reloads: number;
  readonly uptime: string;
  readonly version: string;
}

/** `show proc` of HAProxy 2.6, parsed. */
export interface ProcStatus {
  readonly master: ProcEntry & {
    /**
     * Failed reloads since the last successful one: 2.6 resets it to 0 when a reload
     * succeeds (seen on 2.6.12), so a non-zero value right after a reload means it failed.
     */
    readonly failedReloads: number;
  };
  /** Workers of the current generation (normally one). */
  readonly workers: readonly ProcEntry[];
  /** Workers of earlier generations still finishing their connections. */
  readonly oldWorkers: readonly ProcEntry[];
}

/**
 * Parses `show proc`. On 2.6.12 it reads (columns padded with spaces):
 * ```
 * #<PID>  <type>  <reloads>  <uptime>  <version>
 * 32052   master  4 [failed: 0]  0d00h00m54s  2.6.12-1+deb12u4
 * # workers
 * 1038    worker  0  0d00h00m01s  2.6.12-1+deb12u4
 * # old workers
 * 945     worker  1  0d00h00m03s  2.6.12-1+deb12u4
 * # programs
 * ```
 * @throws HAProxyError when no master line is found.
 */
export function parseShowProc(text: string): ProcStatus {
  let master: ProcStatus["master"] | undefined;
  const workers: ProcEntry[] = [];
  const oldWorkers: ProcEntry[] = [];
  let section: "master" | "workers" | "old workers" | "other" = "master";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#<")) continue;
    if (line.startsWith("#")) {
      const name = line.slice(1).trim();
      section = name === "workers" || name === "old workers" ? name : "other";
      continue;
    }
    const masterMatch = /^(\d+)\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]\s+(\S+)\s*(\S*)/.exec(line);
    if (masterMatch) {
      master = {
        pid: Number(masterMatch[1]),
        type: "master",
        reloads: Number(masterMatch[2]),
        failedReloads: Number(masterMatch[3]),
        uptime: masterMatch[4] ?? "",
        version: masterMatch[5] ?? "",
      };
      continue;
    }
    const entry = /^(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s*(\S*)/.exec(line);
    if (!entry) continue;
    const proc: ProcEntry = {
      pid: Number(entry[1]),
      type: entry[2] ?? "",
      reloads: Number(entry[3]),
      uptime: entry[4] ?? "",
      version: entry[5] ?? "",
    };
    if (section === "workers") workers.push(proc);
    else if (section === "old workers") oldWorkers.push(proc);
  }
  if (!master) throw new HAProxyError(`unexpected 'show proc' reply: ${JSON.stringify(text.slice(0, 200))}`);
  return { master, workers, oldWorkers };
}

/** Outcome of a reload as the master reports it. */
export type MasterReloadOutcome =
  | { readonly ok: true; readonly workerPid: number; readonly status: ProcStatus }
  | {
      readonly ok: false;
      /** "master-changed": another master answers; the one asked to reload died meanwhile. */
      readonly reason: "failed" | "timeout" | "master-changed";
      readonly status: ProcStatus | null;
    };

/** Options of {@link MasterCli}. */
export interface MasterCliOptions {
  /** Deadline of one socket exchange. */
  readonly timeoutMs?: number;
  /** How long {@link MasterCli.reload} waits for the master to report the reload. */
  readonly reloadTimeoutMs?: number;
  /** Pause between two `show proc` polls. */
  readonly pollIntervalMs?: number;
}

/** Client of the master CLI (`-S <socket>`): `show proc` and a confirmed `reload`. */
export class MasterCli {
  private readonly timeoutMs: number;
  private readonly reloadTimeoutMs: number;
  private readonly pollIntervalMs: number;

  constructor(
    readonly socketPath: string,
    options: MasterCliOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.reloadTimeoutMs = options.reloadTimeoutMs ?? 15_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
  }

  /** Sends one raw command to the master and returns its reply. */
  send(command: string): Promise<string> {
    return sendOverUnixSocket(this.socketPath, command, { timeoutMs: this.timeoutMs });
  }

  /** The master's process table. */
  async showProc(): Promise<ProcStatus> {
    return parseShowProc(await this.send("show proc"));
  }

  /**
   * Reloads and waits for the outcome. On 2.6 `reload` answers nothing and closes, and the
   * master re-executes itself (its socket refuses connections for a moment), so the
   * outcome is read from `show proc`: the master's reload counter moves, then either
   * `failed` is non-zero (the old worker keeps serving) or a worker with no reloads behind
   * it, other than the previous one, is the new worker.
   */
  async reload(): Promise<MasterReloadOutcome> {
    const deadline = Date.now() + this.reloadTimeoutMs;
    // A master that just re-executed (an earlier reload) refuses connections for ~100-200 ms.
    const before = await this.whenUp(() => this.showProc(), deadline);
    const previous = new Set(before.workers.map((worker) => worker.pid));
    await this.whenUp(() => this.send("reload"), deadline);
    let last: ProcStatus | null = null;
    while (Date.now() < deadline) {
      try {
        last = await this.showProc();
      } catch (error) {
        // The master is between exec and listening again; anything else would persist.
        if (!(error instanceof SocketError)) throw error;
        last = null;
      }
      if (last && last.master.pid !== before.master.pid) return { ok: false, reason: "master-changed", status: last };
      if (last && last.master.reloads > before.master.reloads) {
        if (last.master.failedReloads > 0) return { ok: false, reason: "failed", status: last };
        const fresh = last.workers.find((worker) => worker.reloads === 0 && !previous.has(worker.pid));
        if (fresh) return { ok: true, workerPid: fresh.pid, status: last };
      }
      await Bun.sleep(this.pollIntervalMs);
    }
    return { ok: false, reason: "timeout", status: last };
  }

  private async whenUp<T>(action: () => Promise<T>, deadline: number): Promise<T> {
    for (;;) {
      try {
        return await action();
      } catch (error) {
        // Only a refused connect is safe to retry: the command surely did not reach HAProxy.
        if (!isRefused(error) || Date.now() >= deadline) throw error;
        await Bun.sleep(this.pollIntervalMs);
      }
    }
  }
}

function isRefused(error: unknown): boolean {
  if (!(error instanceof SocketError)) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return code === "ECONNREFUSED" || code === "ENOENT";
}

/** The worker currently serving: the newest-generation worker, if any. */
export function currentWorker(status: ProcStatus): ProcEntry | undefined {
  return [...status.workers].sort((a, b) => a.reloads - b.reloads)[0];
}
