/**
 * Shutdown requests. The first SIGTERM or SIGINT starts an orderly stop; a second one asks
 * to hurry. As PID 1 a process ignores SIGTERM unless it installs a handler, so this must
 * be installed for `docker stop` to work at all.
 */
export interface ShutdownRequest {
  /** Resolves with the signal that asked for the stop. */
  readonly requested: Promise<string>;
  /** Resolves when a second signal asks to stop now. */
  readonly hurried: Promise<string>;
  dispose(): void;
}

export function watchShutdownSignals(signals: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"]): ShutdownRequest {
  let resolveRequested!: (signal: string) => void;
  let resolveHurried!: (signal: string) => void;
  const requested = new Promise<string>((resolve) => (resolveRequested = resolve));
  const hurried = new Promise<string>((resolve) => (resolveHurried = resolve));
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) resolveRequested(signal);
    else resolveHurried(signal);
  };
  for (const signal of signals) process.on(signal, handler);
  return {
    requested,
    hurried,
    dispose: () => {
      for (const signal of signals) process.off(signal, handler);
    },
  };
}

/**
 * SIGHUP, which logrotate sends after moving the log file away (`postrotate`), calls
 * `reopen`. Without a handler SIGHUP would end bamboo (or, as PID 1, be ignored and leave
 * bamboo writing to the moved file). Returns the function that removes the handler.
 */
export function onReopenSignal(reopen: () => void): () => void {
  const handler = () => reopen();
  process.on("SIGHUP", handler);
  return () => process.off("SIGHUP", handler);
}
