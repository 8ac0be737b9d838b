/**
 * bamboo: argv → command. Everything else lives in modules; this file only dispatches and
 * turns a startup error into one clear line and a non-zero exit.
 */
import packageJson from "../package.json" with { type: "json" };
import { parseArgs } from "./cli/args.ts";
import { commandHelpText, helpText } from "./cli/help.ts";
import { readConfig } from "./cli/read-config.ts";
import { ConfigError } from "./config/load.ts";
import { errorMessage } from "./system/error-message.ts";
import { engineOptionsExec } from "./system/engine-options.ts";

/** Replaced by scripts/build.ts with the commit the executable was built from. */
declare const BAMBOO_COMMIT: string | undefined;
const COMMIT = typeof BAMBOO_COMMIT === "string" ? BAMBOO_COMMIT : "source";
const VERSION = packageJson.version;

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    console.error(`bamboo: ${parsed.message}`);
    return 2;
  }
  const { args } = parsed;
  if (args.help) {
    console.log(commandHelpText(args.command));
    return 0;
  }
  switch (args.command) {
    case "help":
      console.log(helpText(VERSION));
      return 0;
    case "version":
      console.log(`${VERSION} (commit ${COMMIT})`);
      return 0;
    case "sanitize-id": {
      const { sanitizeIdCommand } = await import("./commands/sanitize-id.ts");
      return sanitizeIdCommand(args.positional);
    }
    default:
      break;
  }
  const engineWarning = args.command === "serve" ? restartWithEngineOptions() : null;
  try {
    const { config, warnings } = await readConfig(args, process.env);
    switch (args.command) {
      case "check": {
        const { checkCommand } = await import("./commands/check.ts");
        return await checkCommand(config, warnings, { appsFile: args.appsFile, servicesFile: args.servicesFile });
      }
      case "check-rule": {
        const { checkRuleCommand } = await import("./commands/check-rule.ts");
        return await checkRuleCommand(config, args.positional);
      }
      case "render": {
        const { renderCommand } = await import("./commands/render.ts");
        return await renderCommand(config, { appsFile: args.appsFile, servicesFile: args.servicesFile });
      }
      case "serve": {
        const { serveCommand } = await import("./commands/serve.ts");
        return await serveCommand(config, engineWarning === null ? warnings : [...warnings, engineWarning], { version: `${VERSION} (commit ${COMMIT})`, logFile: args.logFile });
      }
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`bamboo: ${error.message}`);
      return 2;
    }
    console.error(`bamboo: ${errorMessage(error)}`);
    return 1;
  }
}

/**
 * Replaces this process (see engine-options.ts). Returns only when that is not needed (null) or
 * failed: then the warning serve logs with the others at start, since it runs on regardless.
 */
function restartWithEngineOptions(): string | null {
  const exec = engineOptionsExec(process.env, process.execPath, process.argv);
  if (exec === null) return null;
  try {
    process.execve!(exec.file, [...exec.args], { ...exec.env });
  } catch (error) {
    return `could not restart with bamboo's engine options (${errorMessage(error)}): running with JavaScriptCore's defaults, which may take tens of MiB more at thousands of apps`;
  }
  return null;
}

// Exit explicitly: timers left by an interrupted drain period must not keep the process alive.
process.exit(await main(process.argv.slice(2)));
