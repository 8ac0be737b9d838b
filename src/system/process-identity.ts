/**
 * Processes that are not our children, named safely. A pid alone is reused once its process
 * is gone; a pid with its start time names one process for good. Signalling a process we
 * did not spawn goes through {@link signalIfSame} so a recycled pid is never hit.
 */
import { readFileSync } from "node:fs";
import { statFields } from "./proc-table.ts";

/** One process as /proc showed it when it was looked up. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot, fixed for the process's life. */
  readonly startTime: string;
  readonly argv: readonly string[];
}

/** /proc/<pid>/cmdline: arguments separated (and ended) by NUL bytes. */
export function parseCmdline(text: string): string[] {
  const parts = text.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** State letter and start time from /proc/<pid>/stat text; null when it is not one. */
export function parseStatIdentity(text: string): { state: string; startTime: string } | null {
  const fields = statFields(text)?.fields;
  const state = fields?.[0];
  const startTime = fields?.[22 - 3];
  return state && startTime && /^\d+$/.test(startTime) ? { state, startTime } : null;
}

/** The live process `pid` is now; null when there is none (a zombie has finished: none). */
export function readIdentity(pid: number, procRoot = "/proc"): ProcessIdentity | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const stat = parseStatIdentity(readFileSync(`${procRoot}/${pid}/stat`, "utf8"));
    if (!stat || stat.state === "Z" || stat.state === "X") return null;
    return { pid, startTime: stat.startTime, argv: parseCmdline(readFileSync(`${procRoot}/${pid}/cmdline`, "utf8")) };
  } catch {
    return null; // no such process, or it ended between the two reads
  }
}

/**
 * True while the process `identity` names still runs. A zombie counts as ended: it is not
 * ours to reap, and `kill(pid, 0)` would call it alive until its parent does.
 */
export function stillRunning(identity: ProcessIdentity, procRoot = "/proc"): boolean {
  return readIdentity(identity.pid, procRoot)?.startTime === identity.startTime;
}

/** Signals the process only if it is still the one `identity` names; false when it was not. */
export function signalIfSame(identity: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!stillRunning(identity)) return false;
  try {
    process.kill(identity.pid, signal);
    return true;
  } catch {
    return false; // it ended after the check
  }
}
