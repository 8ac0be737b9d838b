/**
 * A child that must not outlive bamboo. Bun's spawn has no pre-exec hook for
 * prctl(PR_SET_PDEATHSIG), so util-linux `setpriv` sets it and then execs the program: the
 * pid stays the same and the setting survives that exec and the program's own re-execs
 * (HAProxy's master re-executes itself on every reload).
 *
 * Limits, from the kernel: the signal fires when the spawning *thread* exits (Bun spawns from
 * the main thread, checked with strace on Bun 1.4.5), and it is cleared on exec of a binary
 * with file capabilities. The container image gives HAProxy a capability, but there bamboo
 * is PID 1, and its death ends the whole pid namespace anyway.
 */

/** The argv to put before a program's own so that it gets `signal` when bamboo dies; null without setpriv. */
export function parentDeathPrefix(signal: NodeJS.Signals, which: (command: string) => string | null = Bun.which): readonly string[] | null {
  const setpriv = which("setpriv");
  return setpriv === null ? null : [setpriv, "--pdeathsig", signal, "--"];
}
