/**
 * What /proc says about our children, read without spawning anything: which of them are
 * zombies, and which pids the runtime holds a pidfd for (the children it spawned and will
 * reap itself). The parsers are pure so they can be tested on captured text.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The fields of /proc/<pid>/stat the reaper needs. */
export interface ProcStat {
  readonly pid: number;
  /** One letter: R, S, D, Z, T, ... */
  readonly state: string;
  readonly ppid: number;
}

/**
 * Parses /proc/<pid>/stat. The command name sits in parentheses and may itself contain
 * spaces and parentheses, so the fields are read after the LAST `)`.
 */
export function parseStat(text: string): ProcStat | null {
  const stat = statFields(text);
  if (!stat) return null;
  const [state, ppid] = stat.fields;
  if (!state || ppid === undefined || !/^\d+$/.test(ppid)) return null;
  return { pid: stat.pid, state, ppid: Number(ppid) };
}

/**
 * The pid and the fields after the command name of /proc/<pid>/stat: `fields[0]` is
 * proc(5)'s field 3 (state), so field n is `fields[n - 3]`.
 */
export function statFields(text: string): { pid: number; fields: string[] } | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  if (!Number.isInteger(pid)) return null;
  return { pid, fields: text.slice(close + 1).trim().split(/\s+/) };
}

/** The `Pid:` line of /proc/self/fdinfo/<fd> for a pidfd; null for any other fd. */
export function parsePidfdInfo(text: string): number | null {
  const match = /^Pid:\s*(-?\d+)\s*$/m.exec(text);
  if (!match) return null;
  const pid = Number(match[1]);
  // A pidfd whose process is already reaped reports -1.
  return pid > 0 ? pid : null;
}

/** Pids of processes whose parent is `parentPid` and which are zombies. */
export function zombieChildren(parentPid: number, procRoot = "/proc"): number[] {
  const zombies: number[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${name}/stat`, "utf8");
    } catch {
      continue; // it exited (or was reaped) while we listed
    }
    const stat = parseStat(text);
    if (stat && stat.ppid === parentPid && stat.state === "Z") zombies.push(stat.pid);
  }
  return zombies;
}

/**
 * Pids this process holds a pidfd for. Bun opens a pidfd for every child it spawns
 * (Bun.spawn, node:child_process, execa, Bun Shell) and reaps that pid itself when the pidfd
 * turns readable, so these zombies belong to Bun, not to the reaper.
 */
export function pidfdTargets(procRoot = "/proc"): Set<number> {
  const pids = new Set<number>();
  const fdDir = `${procRoot}/self/fd`;
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch {
    return pids;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`${fdDir}/${fd}`) !== "anon_inode:[pidfd]") continue;
      const pid = parsePidfdInfo(readFileSync(`${procRoot}/self/fdinfo/${fd}`, "utf8"));
      if (pid !== null) pids.add(pid);
    } catch {
      // closed between the listing and the read: Bun just reaped that child
    }
  }
  return pids;
}
