/**
 * PID 1 duty: reap orphans. In a container every orphaned process (an HAProxy worker whose
 * master died, a grandchild of a health-check script) is reparented to PID 1, and Bun only
 * reaps the children it spawned itself, so without this zombies pile up until the pid
 * table is full.
 *
 * The hard part is to reap ONLY orphans. Bun reaps its own children by pid when their pidfd
 * turns readable; if we collected one first, Bun would lose its exit status (Bamboo lost one
 * `haproxy -c` result in five that way through waitpid(-1)). So each zombie is checked
 * against the pidfds this process holds: Bun keeps one open for every child it spawned until
 * it has reaped it. As a second guard, for a runtime that watches children without pidfds,
 * a zombie must stay a zombie for `graceMs` before we touch it: Bun would have reaped its
 * own child by then.
 */
import type { Logger } from "./log.ts";
import { becomeSubreaper, waitPidNoHang } from "./libc.ts";
import { pidfdTargets, zombieChildren } from "./proc-table.ts";

/** How often /proc is scanned even when no SIGCHLD arrives (signals can coalesce). */
const DEFAULT_INTERVAL_MS = 1_000;
/** Long enough for Bun to reap a child of its own, short enough that zombies stay few. */
const DEFAULT_GRACE_MS = 250;

/** Options of {@link startReaper}. */
export interface ReaperOptions {
  /** Reap even when not PID 1; the process then makes itself a child subreaper. For tests. */
  readonly force?: boolean;
  /** Period of the /proc scan. */
  readonly intervalMs?: number;
  /** How long a zombie must have been seen before it is reaped. */
  readonly graceMs?: number;
  /** Where /proc is; tests of the parsing can point elsewhere. */
  readonly procRoot?: string;
  readonly log?: Logger;
}

/** A running (or inactive) reaper. */
export interface Reaper {
  /** False when this process is not PID 1 and was not forced: nothing runs. */
  readonly active: boolean;
  /** Stops scanning and stops listening for SIGCHLD. */
  stop(): void;
  /** How many orphans have been reaped so far. */
  reaped(): number;
}

/**
 * Starts reaping orphaned zombies if this process is PID 1 (or `force` is set). Call it first
 * thing in a long-running command, before anything is spawned.
 *
 * @example
 * const reaper = startReaper({ log });
 * // ... run until shutdown ...
 * reaper.stop();
 */
export function startReaper(options: ReaperOptions = {}): Reaper {
  const self = process.pid;
  if (self !== 1 && !options.force) return { active: false, stop() {}, reaped: () => 0 };
  const log = options.log;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const procRoot = options.procRoot ?? "/proc";

  if (self !== 1 && !becomeSubreaper()) log?.warn("reaper: could not become a child subreaper; only direct children's orphans are seen");

  const firstSeen = new Map<number, number>();
  let count = 0;
  let stopped = false;
  let failed = false;
  let followUp: ReturnType<typeof setTimeout> | null = null;
  let signalled = false;

  const scan = () => {
    if (stopped) return;
    try {
      scanOnce();
      failed = false;
    } catch (error) {
      // Log once per run of failures: a broken /proc would otherwise log every second.
      if (!failed) log?.error("reaper: scan failed", { error });
      failed = true;
    }
  };

  const scanOnce = () => {
    const zombies = zombieChildren(self, procRoot);
    const present = new Set(zombies);
    for (const pid of firstSeen.keys()) if (!present.has(pid)) firstSeen.delete(pid);
    if (zombies.length === 0) return;
    const bunsOwn = pidfdTargets(procRoot);
    const now = performance.now();
    let waiting = false;
    for (const pid of zombies) {
      if (bunsOwn.has(pid)) {
        firstSeen.delete(pid);
        continue;
      }
      const seen = firstSeen.get(pid) ?? now;
      firstSeen.set(pid, seen);
      if (now - seen < graceMs) {
        waiting = true;
        continue;
      }
      firstSeen.delete(pid);
      const result = waitPidNoHang(pid);
      if (result.kind !== "reaped") continue;
      count += 1;
      log?.debug("reaped orphan", { pid, exitCode: result.exitCode ?? undefined, signal: result.signal ?? undefined });
    }
    // Come back when the youngest zombie is old enough rather than a whole interval later.
    if (waiting && followUp === null) {
      followUp = setTimeout(() => {
        followUp = null;
        scan();
      }, graceMs + 1);
      followUp.unref();
    }
  };

  // SIGCHLD only says "some child changed"; several can merge into one, hence also the timer.
  const onChild = () => {
    if (signalled) return;
    signalled = true;
    setImmediate(() => {
      signalled = false;
      scan();
    });
  };
  process.on("SIGCHLD", onChild);
  const timer = setInterval(scan, intervalMs);
  timer.unref();
  scan();

  return {
    active: true,
    stop() {
      stopped = true;
      clearInterval(timer);
      if (followUp !== null) clearTimeout(followUp);
      process.off("SIGCHLD", onChild);
    },
    reaped: () => count,
  };
}
