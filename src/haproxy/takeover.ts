import type { LogFields, LogLevel } from "../system/log.ts";
import { findLeftover, retire, signalRunning, stopSteps, type Leftover } from "./leftover.ts";
import type { MasterCli } from "./master-cli.ts";
import type { LeftoverState } from "./supervisor-types.ts";

export interface TakeoverOptions {
  readonly pidFilePath: string;
  /** The master CLI on our socket path, where a leftover master may still answer. */
  readonly cli: MasterCli;
  readonly hardStopAfterMs: number;
  readonly log: (level: LogLevel, message: string, fields?: LogFields) => void;
}

/**
 * Taking over from an HAProxy an earlier run left serving on this data directory, by
 * replacement: it is looked for once, before our first master replaces its pid file and
 * socket; it keeps serving until ours serves (SO_REUSEPORT lets both listen on the port);
 * then it gets the graceful stop ours would get. Without a leftover every step is a no-op.
 */
export class Takeover {
  #search: Promise<Leftover> | null = null;
  #retirement: Promise<void> | null = null;
  #state: LeftoverState | null = null;

  constructor(private readonly options: TakeoverOptions) {}

  /** What was found and what became of it, for the status page. */
  state(): LeftoverState | null {
    return this.#state;
  }

  /** Looks once; later calls share the answer. */
  find(): Promise<Leftover> {
    this.#search ??= findLeftover(this.options.pidFilePath, this.options.cli).then((found) => {
      if (found.masters.length > 0) {
        const pids = found.masters.map((master) => master.pid);
        this.#set({ pids, action: "found", signal: null });
        this.options.log("warn", "found an HAProxy left by an earlier run on this data directory; it serves until ours has started, then it is stopped", {
          pids: pids.join(","),
          workers: found.workers.join(","),
          from: found.sources.join(","),
        });
      }
      return found;
    });
    return this.#search;
  }

  /**
   * Stops the leftover, gracefully unless `now`, and resolves once it has exited. Called
   * when ours serves, and again at our stop (a bamboo stopping before its HAProxy ever
   * started still owes the leftover a stop): the second call waits for the first.
   */
  async retire(now: boolean): Promise<void> {
    const leftover = await this.find();
    if (leftover.masters.length === 0) return;
    if (this.#retirement) {
      if (now) signalRunning(leftover.masters, "SIGTERM");
      return this.#retirement;
    }
    const pids = leftover.masters.map((master) => master.pid);
    const started = Date.now();
    this.#retirement = retire(leftover.masters, stopSteps(this.options.hardStopAfterMs, now), (signal) => {
      this.#set({ pids, action: "stopping", signal });
      this.options.log("info", "stopping the HAProxy left by an earlier run", { pids: pids.join(","), signal });
    }).then((exited) => {
      if (!exited) {
        this.options.log("error", "the HAProxy left by an earlier run did not exit even after SIGKILL", { pids: pids.join(",") });
        return;
      }
      this.#set({ pids, action: "retired", signal: this.#state?.signal ?? null });
      this.options.log("info", "the HAProxy left by an earlier run has exited", { pids: pids.join(","), ms: Date.now() - started });
    });
    return this.#retirement;
  }

  /** A second stop request: SIGTERM now rather than wait for its connections to finish. */
  hurry(): void {
    void this.#search?.then((leftover) => signalRunning(leftover.masters, "SIGTERM"));
  }

  #set(state: Omit<LeftoverState, "at">): void {
    this.#state = { ...state, at: new Date().toISOString() };
  }
}
