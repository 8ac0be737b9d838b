/** Command-line arguments: a command and Bamboo's flags, in Go style (-flag) or GNU style (--flag). */

export const COMMANDS = ["serve", "render", "check", "check-rule", "sanitize-id", "version", "help"] as const;
export type Command = (typeof COMMANDS)[number];

/** Every flag takes a value; the name is how it is typed, without dashes. */
export const FLAGS = ["config", "bind", "log", "apps", "services"] as const;
export type Flag = (typeof FLAGS)[number];

/** The flags each command takes: one that does not apply is refused, not silently ignored. */
export const COMMAND_FLAGS: Readonly<Record<Command, readonly Flag[]>> = {
  serve: ["config", "bind", "log"],
  render: ["config", "apps", "services"],
  check: ["config", "apps", "services"],
  "check-rule": ["config"],
  "sanitize-id": [],
  version: [],
  help: [],
};

export interface Args {
  readonly command: Command;
  /** `--help` after a command: that command's help instead of running it. */
  readonly help: boolean;
  readonly configFile?: string;
  readonly bind?: string;
  readonly logFile?: string;
  /** `render`, `check`: a saved `GET /v2/apps?embed=apps.tasks` answer instead of asking Marathon. */
  readonly appsFile?: string;
  /** `render`, `check`: a saved `GET /api/services` answer instead of reading the store. */
  readonly servicesFile?: string;
  readonly positional: readonly string[];
}

type ValueKey = "configFile" | "bind" | "logFile" | "appsFile" | "servicesFile";

const VALUE_KEYS: Readonly<Record<Flag, ValueKey>> = { config: "configFile", bind: "bind", log: "logFile", apps: "appsFile", services: "servicesFile" };

export type ParsedArgs = { ok: true; args: Args } | { ok: false; message: string };

/** Reads argv; `--` ends the flags, so a name starting with `-` can still be passed. Pure. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values: { [key in ValueKey]?: string } = {};
  const given: Flag[] = [];
  const positional: string[] = [];
  let command: Command | undefined;
  let help = false;
  let version = false;
  let flagsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!flagsEnded && arg === "--") {
      flagsEnded = true;
      continue;
    }
    const flag = flagsEnded ? null : /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (flag) {
      const name = flag[1]!;
      if (name === "h" || name === "help") {
        help = true;
        continue;
      }
      if (name === "version") {
        version = true;
        continue;
      }
      if (!(FLAGS as readonly string[]).includes(name)) return { ok: false, message: `unknown flag ${arg}; run 'bamboo --help' for the flags` };
      const value = flag[2] ?? argv[++i];
      if (value === undefined || value === "") return { ok: false, message: `flag ${arg} needs a value` };
      values[VALUE_KEYS[name as Flag]] = value;
      given.push(name as Flag);
      continue;
    }
    if (command === undefined && (COMMANDS as readonly string[]).includes(arg)) command = arg as Command;
    else if (command === undefined) return { ok: false, message: `unknown command '${arg}'; commands: ${COMMANDS.join(", ")}` };
    else positional.push(arg);
  }
  if (command === undefined && (help || version)) return { ok: true, args: { command: help ? "help" : "version", help: false, positional } };
  const chosen = command ?? "serve";
  const misplaced = given.find((name) => !COMMAND_FLAGS[chosen].includes(name));
  if (misplaced !== undefined && !help) return { ok: false, message: `flag --${misplaced} does not apply to ${chosen}; run 'bamboo ${chosen} --help'` };
  return { ok: true, args: { command: chosen, help, ...values, positional } };
}
