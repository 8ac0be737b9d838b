/**
 * Runs a short-lived program (`haproxy -c`, `haproxy -v`) with a deadline and collects its
 * output. The program gets a process group of its own, and at the deadline the whole group
 * is killed: killing only the program would leave whatever it forked running, and holding
 * the output pipe open. Exit statuses come from the spawn itself, never from a process-wide
 * wait, so a PID 1 reaper cannot steal them.
 */
import { execa } from "execa";

/** How a bounded run ended; `output` is stdout and stderr interleaved. */
export type BoundedRun =
  | { readonly kind: "exited"; readonly exitCode: number; readonly output: string }
  | { readonly kind: "signalled"; readonly signal: string; readonly output: string }
  | { readonly kind: "timed-out"; readonly timeoutMs: number; readonly output: string }
  | { readonly kind: "not-started"; readonly message: string };

export async function runBounded(argv: readonly string[], options: { readonly timeoutMs: number }): Promise<BoundedRun> {
  const [file, ...args] = argv;
  if (file === undefined) return { kind: "not-started", message: "no program given" };
  // detached: setsid(), so the group id is the child's pid and holds everything it forks.
  const child = execa(file, args, { reject: false, all: true, stdin: "ignore", detached: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) killGroup(child.pid);
  }, options.timeoutMs);
  try {
    const result = await child;
    const output = typeof result.all === "string" ? result.all : "";
    if (timedOut) return { kind: "timed-out", timeoutMs: options.timeoutMs, output };
    if (typeof result.exitCode === "number") return { kind: "exited", exitCode: result.exitCode, output };
    if (result.signal) return { kind: "signalled", signal: result.signal, output };
    return { kind: "not-started", message: (result.shortMessage ?? "failed to start").split("\n")[0]! };
  } finally {
    clearTimeout(timer);
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // the group has already ended
  }
}
