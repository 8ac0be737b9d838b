import { runBounded } from "../system/bounded-child.ts";
import { causeAlerts, parseHAProxyLine, type HAProxyLineLevel } from "./output-lines.ts";

/**
 * The process-level pieces the supervisor stands on: spawning (injectable), reading
 * HAProxy's output line by line, and the binary's version.
 */

/** How a supervised process ended, as the spawn API reported it. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** A spawned HAProxy master, seen through the handful of things the supervisor needs. */
export interface SupervisedProcess {
  readonly pid: number;
  /** Settles once, when the spawn API has collected the exit status of this very child. */
  readonly exited: Promise<ProcessExit>;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `argv` as a child; tests inject their own to simulate HAProxy's behaviour. */
export type SpawnProcess = (argv: readonly string[]) => SupervisedProcess;

/**
 * Spawns with Bun. The exit status comes from Bun's own wait on this pid, never from a
 * process-wide wait, so the PID 1 reaper cannot steal it.
 */
export const spawnWithBun: SpawnProcess = (argv) => {
  const child = Bun.spawn([...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return {
    pid: child.pid,
    exited: child.exited.then(() => ({ code: child.exitCode, signal: child.signalCode === null ? null : String(child.signalCode) })),
    stdout: child.stdout,
    stderr: child.stderr,
    kill: (signal) => child.kill(signal),
  };
};

/** One line HAProxy wrote, numbered so a caller can ask for what came after a point. */
export interface OutputLine {
  readonly seq: number;
  readonly level: HAProxyLineLevel;
  /** The line without HAProxy's "[LEVEL] (pid) : " prefix. */
  readonly text: string;
}

/** A bounded memory of HAProxy's recent output lines. */
export class OutputLog {
  private readonly lines: OutputLine[] = [];
  private nextSeq = 1;

  constructor(private readonly capacity = 200) {}

  /** Sequence number the next line will get; lines "since" it are the ones after now. */
  get mark(): number {
    return this.nextSeq;
  }

  push(raw: string): OutputLine {
    const line = { seq: this.nextSeq++, ...parseHAProxyLine(raw) };
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
    return line;
  }

  /** Lines numbered `mark` or later. */
  since(mark: number): OutputLine[] {
    return this.lines.filter((line) => line.seq >= mark);
  }

  /** The alert lines since `mark` that say what was wrong, generic summaries left out. */
  alertsSince(mark: number): string[] {
    return causeAlerts(this.since(mark).filter((line) => line.level === "alert").map((line) => line.text));
  }
}

/** Calls `onLine` for every line of `stream` until it ends; a partial last line counts. */
export async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() !== "") onLine(line);
      newline = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  if (pending.trim() !== "") onLine(pending);
}

/**
 * The version of an HAProxy binary from `haproxy -v` ("HAProxy version 2.6.12-1+deb12u4
 * 2026/10/17 - https://haproxy.org/" → "2.6.12-1+deb12u4").
 * @throws Error when the binary cannot run or prints no version.
 */
export async function haproxyVersion(bin: string): Promise<string> {
  const run = await runBounded([bin, "-v"], { timeoutMs: 5_000 });
  if (run.kind === "not-started") throw new Error(`could not run '${bin} -v': ${run.message}`);
  const match = /HA-?Proxy version (\S+)/i.exec(run.output);
  if (run.kind !== "exited" || run.exitCode !== 0 || !match?.[1]) {
    const how = run.kind === "exited" ? `exit ${run.exitCode}` : run.kind === "signalled" ? run.signal : `timed out after ${run.timeoutMs} ms`;
    throw new Error(`'${bin} -v' printed no version (${how}): ${run.output.slice(0, 200)}`);
  }
  return match[1];
}

/** "signal SIGKILL" or "exit code 1", for messages. */
export function describeExit(exit: ProcessExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** Signals `child`; the process may already be gone, and a signal to it is then moot. */
export function signalQuietly(child: SupervisedProcess, signal: NodeJS.Signals): void {
  try {
    child.kill(signal);
  } catch {
    // already exited
  }
}

/** The value of `promise` if it settles within `ms`, else null. */
export function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
