/** Command-line arguments: a command and Bamboo's flags, in Go style (-flag) or GNU style (--flag). */

export const COMMANDS = ["serve", "render", "check", "check-rule", "sanitize-id", "version", "help"] as const;
export type Command = (typeof COMMANDS)[number];

export interface Args {
  readonly command: Command;
  readonly configFile?: string;
  readonly bind?: string;
  readonly logFile?: string;
  /** `render`, `check`: a saved `GET /v2/apps?embed=apps.tasks` answer instead of asking Marathon. */
  readonly appsFile?: string;
  /** `render`, `check`: a saved `GET /api/services` answer instead of reading the store. */
  readonly servicesFile?: string;
  readonly positional: readonly string[];
}

type ValueFlag = "configFile" | "bind" | "logFile" | "appsFile" | "servicesFile";

const VALUE_FLAGS: Record<string, ValueFlag> = { config: "configFile", bind: "bind", log: "logFile", apps: "appsFile", services: "servicesFile" };

export type ParsedArgs = { ok: true; args: Args } | { ok: false; message: string };

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values: { [flag in ValueFlag]?: string } = {};
  const positional: string[] = [];
  let command: Command | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help" || arg === "-help") {
      command = "help";
      continue;
    }
    if (arg === "--version" || arg === "-version") {
      command = "version";
      continue;
    }
    const flag = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (flag) {
      const key = VALUE_FLAGS[flag[1]!];
      if (!key) return { ok: false, message: `unknown flag ${arg}; run 'bamboo --help' for the flags` };
      const value = flag[2] ?? argv[++i];
      if (value === undefined || value === "") return { ok: false, message: `flag ${arg} needs a value` };
      values[key] = value;
      continue;
    }
    if (command === undefined && (COMMANDS as readonly string[]).includes(arg)) command = arg as Command;
    else if (command === undefined) return { ok: false, message: `unknown command '${arg}'; commands: ${COMMANDS.join(", ")}` };
    else positional.push(arg);
  }
  return { ok: true, args: { command: command ?? "serve", ...values, positional } };
}
