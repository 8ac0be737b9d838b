/**
 * One line per event on stderr: time, level, message, then key=value fields, so a human
 * reads it and a log shipper can split it.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(options: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const threshold = ORDER[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const emit = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (ORDER[level] < threshold) return;
    write(formatLine(new Date().toISOString(), level, message, fields));
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** A logger that drops everything, for tests that do not read logs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function formatLine(time: string, level: LogLevel, message: string, fields?: LogFields): string {
  let line = `${time} ${level.toUpperCase().padEnd(5)} ${message}`;
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value === undefined) continue;
    const text = value instanceof Error ? value.message : typeof value === "string" ? value : JSON.stringify(value);
    line += ` ${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return line;
}
