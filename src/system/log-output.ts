/**
 * Where serve's log lines go: stderr always, and with `--log FILE` that file too, each in
 * its own format (`auto` decides per destination: text for a terminal, JSON lines for a pipe
 * or a file). The file is opened again by name on request, for logrotate's move-then-HUP.
 * When one destination fails, the other says so; lines are never allowed to block.
 */
import { close, open } from "node:fs";
import { isatty } from "node:tty";
import { errorMessage } from "./error-message.ts";
import { resolveLogFormat, formatRecord, type LogFormat, type LogFormatSetting } from "./log-format.ts";
import { createLogger, type Logger, type LogLevel, type LogRecord } from "./log.ts";
import { LogWriter } from "./log-writer.ts";

/** How long stopping waits for queued lines to be written before bamboo exits without them. */
const CLOSE_TIMEOUT_MS = 2_000;
/** Log files may hold paths, rule texts and HAProxy's messages: not for every local user. */
const FILE_MODE = 0o640;

export interface LogOutputOptions {
  readonly level: LogLevel;
  readonly format: LogFormatSetting;
  /** `--log FILE`: lines are appended there as well as to stderr. */
  readonly file?: string;
  /** The descriptor standing for stderr; tests pass a pipe or a file. */
  readonly stderrFd?: number;
  readonly maxQueuedBytes?: number;
}

interface Destination {
  readonly name: string;
  readonly format: LogFormat;
  readonly writer: LogWriter;
}

export class LogOutput {
  readonly log: Logger;
  readonly #stderr: Destination;
  #file: (Destination & { readonly path: string }) | null;
  #reopening: Promise<void> = Promise.resolve();

  private constructor(options: LogOutputOptions, fileFd: number | null) {
    this.log = createLogger({ level: options.level, emit: (record) => this.#emit(record) });
    const stderrFd = options.stderrFd ?? 2;
    this.#stderr = this.#destination("stderr", stderrFd, options);
    const path = options.file;
    this.#file = path === undefined || fileFd === null ? null : { ...this.#destination(path, fileFd, options), path };
  }

  /** Opens `--log FILE` for appending (creating it) and starts writing; throws when the file cannot be opened. */
  static async open(options: LogOutputOptions): Promise<LogOutput> {
    const fd = options.file === undefined ? null : await openForAppend(options.file);
    return new LogOutput(options, fd);
  }

  /** The format each destination writes, `auto` decided. */
  get formats(): { readonly stderr: LogFormat; readonly file?: LogFormat } {
    return this.#file === null ? { stderr: this.#stderr.format } : { stderr: this.#stderr.format, file: this.#file.format };
  }

  /**
   * Opens the file again by its name (logrotate moved the old one away) and writes on there.
   * When that fails the old descriptor keeps being written, and stderr says why. Requests
   * arriving during a reopen run after it, one at a time.
   */
  reopen(): Promise<void> {
    this.#reopening = this.#reopening.then(() => this.#reopenOnce());
    return this.#reopening;
  }

  /** Writes what is queued (waiting a bounded time) and closes the file; stderr stays open. */
  async close(): Promise<void> {
    // An open() hanging on a dead NFS mount must not keep bamboo from exiting.
    await waitAtMost(this.#reopening, CLOSE_TIMEOUT_MS);
    const file = this.#file;
    await Promise.all([this.#stderr.writer.drain(CLOSE_TIMEOUT_MS), file?.writer.drain(CLOSE_TIMEOUT_MS)]);
    if (file === null) return;
    // Lines logged from now on reach stderr only, instead of failing on a closed descriptor.
    this.#file = null;
    // Closed once a write still stuck on it returns; not awaited, for the same reason.
    void file.writer.replaceFd(-1).then(closeFd);
  }

  async #reopenOnce(): Promise<void> {
    const file = this.#file;
    if (file === null) return;
    let fd: number;
    try {
      fd = await openForAppend(file.path);
    } catch (error) {
      this.log.error("could not reopen the log file; writing on to the file it had open", { path: file.path, error });
      return;
    }
    if (this.#file !== file) {
      // Closed while the name was being opened: bamboo is stopping.
      await closeFd(fd);
      return;
    }
    await closeFd(await file.writer.replaceFd(fd));
    this.log.info("reopened the log file", { path: file.path });
  }

  #destination(name: string, fd: number, options: LogOutputOptions): Destination {
    const format = resolveLogFormat(options.format, isatty(fd));
    const writer = new LogWriter({
      fd,
      maxQueuedBytes: options.maxQueuedBytes,
      onFailure: (error) => this.#reportFailure(writer, name, error),
      droppedNotice: (count) => formatRecord(format, this.#record("warn", "log lines were dropped: the destination could not keep up or refused writes", { destination: name, dropped: count })),
    });
    return { name, format, writer };
  }

  #emit(record: LogRecord): void {
    const destinations = this.#file === null ? [this.#stderr] : [this.#stderr, this.#file];
    const lines: Partial<Record<LogFormat, string>> = {};
    for (const destination of destinations) destination.writer.write((lines[destination.format] ??= formatRecord(destination.format, record)));
  }

  /** A failing destination is reported on the other one: stderr for the file, the file for stderr. */
  #reportFailure(failing: LogWriter, name: string, error: Error): void {
    const other = failing === this.#stderr.writer ? this.#file : this.#stderr;
    if (other === null) return;
    const record = this.#record("error", "could not write log lines; dropping them until writes succeed again", { destination: name, error: errorMessage(error) });
    other.writer.write(formatRecord(other.format, record));
  }

  #record(level: LogLevel, message: string, fields: LogRecord["fields"]): LogRecord {
    return { time: new Date(), level, message, fields };
  }
}

function openForAppend(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, "a", FILE_MODE, (error, fd) => (error ? reject(new Error(`cannot open ${path} for appending: ${error.message}`)) : resolve(fd))));
}

function closeFd(fd: number): Promise<void> {
  // Nothing to do about a descriptor that will not close: its lines were written or counted.
  return new Promise((resolve) => (fd < 0 ? resolve() : close(fd, () => resolve())));
}

async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
