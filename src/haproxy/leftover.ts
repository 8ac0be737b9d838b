/**
 * An HAProxy an earlier run left on this data directory (bamboo SIGKILLed where nothing
 * took its HAProxy down with it), found from the pid file and master socket bamboo gives
 * every HAProxy, and retired by signals. It is not our child: it is named by pid and start
 * time, and checked before every signal, so a recycled pid is never hit.
 */
import { readFile } from "node:fs/promises";
import { readIdentity, signalIfSame, stillRunning, type ProcessIdentity } from "../system/process-identity.ts";
import type { MasterCli } from "./master-cli.ts";

const POLL_MS = 50;

/** The steps of a stop: a signal, then how long to wait for the exit before the next. */
export type StopStep = readonly [NodeJS.Signals, number];

/**
 * SIGUSR1 (soft stop: listeners close at once, open connections finish, bounded by the
 * config's hard-stop-after), then SIGTERM, then SIGKILL. `now` starts at SIGTERM.
 */
export function stopSteps(hardStopAfterMs: number, now: boolean): StopStep[] {
  return [...(now ? [] : [["SIGUSR1", hardStopAfterMs] as const]), ["SIGTERM", 5_000], ["SIGKILL", 5_000]];
}

/** True when `argv` is an HAProxy master-worker started on `masterSocket`, as bamboo starts them. */
export function isMasterOf(argv: readonly string[], masterSocket: string): boolean {
  const masterWorker = argv.includes("-W") || argv.includes("-Ws");
  const onSocket = argv.some((arg, i) => argv[i - 1] === "-S" && (arg === masterSocket || arg.startsWith(`${masterSocket},`)));
  return masterWorker && onSocket;
}

/** What a search found: the masters to retire and, for the log, their workers. */
export interface Leftover {
  readonly masters: readonly ProcessIdentity[];
  readonly workers: readonly number[];
  /** Where each master was named: "pid file", "master socket". */
  readonly sources: readonly string[];
}

/**
 * Looks for a live HAProxy master of this data directory: the pid in `pidFile` and the
 * master answering on `cli`'s socket, each kept only when /proc shows an HAProxy master
 * on our master socket. Call it before our own HAProxy replaces the socket and pid file.
 */
export async function findLeftover(pidFile: string, cli: MasterCli): Promise<Leftover> {
  const fromFile = await readFile(pidFile, "utf8").then((text) => Number(text.trim()), () => null);
  const fromSocket = await cli.showProc().catch(() => null);
  const named: [number | null | undefined, string][] = [
    [fromFile, "pid file"],
    [fromSocket?.master.pid, "master socket"],
  ];
  const masters = new Map<number, { identity: ProcessIdentity; sources: string[] }>();
  for (const [pid, source] of named) {
    if (typeof pid !== "number") continue;
    const known = masters.get(pid);
    if (known) {
      known.sources.push(source);
      continue;
    }
    const identity = readIdentity(pid);
    if (identity && isMasterOf(identity.argv, cli.socketPath)) masters.set(pid, { identity, sources: [source] });
  }
  const found = [...masters.values()];
  const workers = fromSocket && masters.has(fromSocket.master.pid) ? [...fromSocket.workers, ...fromSocket.oldWorkers].map((w) => w.pid) : [];
  return { masters: found.map((entry) => entry.identity), workers, sources: [...new Set(found.flatMap((entry) => entry.sources))] };
}

/**
 * Takes `steps` in turn until every master has exited; `onSignal` hears each signal sent.
 * Exits are seen by polling /proc: these processes are not our children.
 * @returns true once all have exited, false if even the last step left one running.
 */
export async function retire(
  masters: readonly ProcessIdentity[],
  steps: readonly StopStep[],
  onSignal: (signal: NodeJS.Signals) => void,
): Promise<boolean> {
  for (const [signal, waitMs] of steps) {
    const running = masters.filter((master) => stillRunning(master));
    if (running.length === 0) return true;
    onSignal(signal);
    for (const master of running) signalIfSame(master, signal);
    if (await allExitedWithin(running, waitMs)) return true;
  }
  return masters.every((master) => !stillRunning(master));
}

/** Signals the masters still running, out of turn: a second stop request. */
export function signalRunning(masters: readonly ProcessIdentity[], signal: NodeJS.Signals): void {
  for (const master of masters) signalIfSame(master, signal);
}

async function allExitedWithin(masters: readonly ProcessIdentity[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (masters.every((master) => !stillRunning(master))) return true;
    if (Date.now() >= deadline) return false;
    await Bun.sleep(POLL_MS);
  }
}
