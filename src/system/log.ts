/**
 * The logger every part of bamboo is handed: a message and fields at one of four levels.
 * Where lines go and how they look is log-output.ts's and log-format.ts's business; this
 * module only filters by level and stamps the time.
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** One event, as the logger saw it: formatting happens later, once per destination format. */
export interface LogRecord {
  readonly time: Date;
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether a line at `level` is written when the threshold is `threshold`. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return RANK[level] >= RANK[threshold];
}

export function createLogger(options: { readonly level: LogLevel; readonly emit: (record: LogRecord) => void; readonly now?: () => Date }): Logger {
  const now = options.now ?? (() => new Date());
  const at = (level: LogLevel) =>
    // A disabled level costs one comparison: debug calls sit on hot paths such as every apply.
    levelEnabled(level, options.level)
      ? (message: string, fields?: LogFields) => options.emit({ time: now(), level, message, fields: fields ?? {} })
      : () => {};
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A logger that drops everything, for tests that do not read logs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
