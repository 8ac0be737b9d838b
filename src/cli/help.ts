import { RETIRED_SETTINGS, SETTINGS } from "../config/settings.ts";
import { COMMAND_FLAGS, COMMANDS, type Command, type Flag } from "./args.ts";

/** How each command is typed and what it does; `--help` and `<command> --help` print from here. */
export const COMMAND_DOCS: Readonly<Record<Command, { readonly usage: string; readonly summary: readonly string[] }>> = {
  serve: {
    usage: "serve",
    summary: ["watch Marathon and the routing rules, run HAProxy, serve the API and UI (the default command)"],
  },
  render: {
    usage: "render [--apps FILE] [--services FILE]",
    summary: ["print the HAProxy config serve starts with for Marathon's apps (or --apps FILE) and the", "stored rules (or --services FILE); with both files it asks neither"],
  },
  check: {
    usage: "check [--apps FILE] [--services FILE]",
    summary: ["validate the configuration, then compile the config for Marathon's apps (or --apps FILE)", "and the stored rules (or --services FILE), as render does, and run haproxy -c on it; exit 0 or 1"],
  },
  "check-rule": {
    usage: "check-rule [--] ID ACL",
    summary: ["ask the running appliance at BAMBOO_ENDPOINT whether it would accept the rule (a dry", "run: nothing is stored); exit 0 accepted, 1 refused, 2 could not ask"],
  },
  "sanitize-id": {
    usage: "sanitize-id [--] NAME",
    summary: ["print NAME as a valid Marathon app id (exit 1 when it cannot become one); use -- before", "a NAME that starts with -"],
  },
  version: { usage: "version", summary: ["print the version and the commit it was built from"] },
  help: { usage: "help", summary: ["print this help; `bamboo COMMAND --help` prints one command's"] },
};

export const FLAG_DOCS: Readonly<Record<Flag, { readonly usage: string; readonly help: string }>> = {
  config: { usage: "--config FILE", help: "Bamboo-format JSON config file (keys case-insensitive)" },
  bind: { usage: "--bind ADDR", help: "API and UI listen address; same as BAMBOO_BIND" },
  log: { usage: "--log FILE", help: "also append log lines to FILE; SIGHUP reopens it (logrotate)" },
  apps: { usage: "--apps FILE", help: "a saved GET /v2/apps?embed=apps.tasks answer instead of asking Marathon" },
  services: { usage: "--services FILE", help: "a saved GET /api/services answer instead of reading the store" },
};

/** `bamboo --help`, printed from the command, flag and settings tables so it always matches the code. */
export function helpText(version: string): string {
  const lines = [
    `bamboo ${version}: routes traffic to Marathon apps through a supervised HAProxy`,
    "",
    "Usage: bamboo [command] [flags] [--] [arguments]",
    "",
    "Commands (bamboo COMMAND --help for one):",
  ];
  for (const command of COMMANDS) lines.push(`  ${COMMAND_DOCS[command].usage}`, ...COMMAND_DOCS[command].summary.map((line) => `      ${line}`));
  lines.push("", "Flags (Bamboo's single-dash forms work too; -- ends the flags):");
  for (const flag of Object.keys(FLAG_DOCS) as Flag[]) lines.push(flagLine(flag, commandsTaking(flag)));
  lines.push("", "Settings: defaults <- config file <- environment <- flags. Environment variable, config key, default:");
  const width = Math.max(...SETTINGS.map((setting) => setting.env.length));
  for (const setting of SETTINGS) {
    const fallback = setting.default === "" ? "(empty)" : setting.default;
    lines.push(`  ${setting.env.padEnd(width)}  ${setting.help}`);
    lines.push(`  ${"".padEnd(width)}  file key ${setting.file}; default ${fallback}`);
  }
  lines.push("", "Ignored Bamboo settings (reported at start when set):");
  for (const retired of RETIRED_SETTINGS) lines.push(`  ${retired.env || retired.file}: ${retired.why}`);
  return lines.join("\n");
}

/** `bamboo COMMAND --help`: its usage, what it does and the flags it takes. */
export function commandHelpText(command: Command): string {
  const doc = COMMAND_DOCS[command];
  const lines = [`Usage: bamboo ${doc.usage}`, "", ...doc.summary];
  const flags = COMMAND_FLAGS[command];
  if (flags.length > 0) lines.push("", "Flags:", ...flags.map((flag) => flagLine(flag, [])));
  if (command === "serve" || command === "render" || command === "check" || command === "check-rule") {
    lines.push("", "Settings come from the environment and the config file: bamboo --help lists them.");
  }
  return lines.join("\n");
}

function commandsTaking(flag: Flag): Command[] {
  return COMMANDS.filter((command) => COMMAND_FLAGS[command].includes(flag));
}

function flagLine(flag: Flag, commands: readonly Command[]): string {
  const doc = FLAG_DOCS[flag];
  return `  ${doc.usage.padEnd(16)}${commands.length > 0 ? `${commands.join(", ")}: ` : ""}${doc.help}`;
}
