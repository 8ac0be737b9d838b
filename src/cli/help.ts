import { RETIRED_SETTINGS, SETTINGS } from "../config/settings.ts";

/** `bamboo --help`, printed from the settings table so it always matches the code. */
export function helpText(version: string): string {
  const lines = [
    `bamboo ${version}: routes traffic to Marathon apps through a supervised HAProxy`,
    "",
    "Usage: bamboo [command] [flags]",
    "",
    "Commands:",
    "  serve      watch Marathon and the routing rules, run HAProxy, serve the API and UI (default)",
    "  render     print the HAProxy config serve starts with for Marathon's apps (or --apps FILE)",
    "             and the stored rules (or --services FILE); with both files it asks neither",
    "  check      validate the configuration, then compile the config for Marathon's apps (or",
    "             --apps FILE) and the stored rules (or --services FILE), as render does, and run",
    "             haproxy -c on it; exit 0 or 1",
    "  check-rule ID ACL",
    "             ask the running appliance at BAMBOO_ENDPOINT whether it would accept the rule",
    "             (a dry run: nothing is stored); exit 0 accepted, 1 refused, 2 could not ask",
    "  sanitize-id NAME",
    "             print NAME as a valid Marathon app id (exit 1 when it cannot become one)",
    "  version    print the version",
    "  help       print this help",
    "",
    "Flags (Bamboo's single-dash forms work too):",
    "  --config FILE   Bamboo-format JSON config file (keys case-insensitive)",
    "  --bind ADDR     API and UI listen address; same as BAMBOO_BIND",
    "  --log FILE      also append log lines to FILE",
    "  --apps FILE     render, check: a saved GET /v2/apps?embed=apps.tasks answer instead of asking Marathon",
    "  --services FILE render, check: a saved GET /api/services answer instead of reading the store",
    "",
    "Settings: defaults <- config file <- environment <- flags. Environment variable, config key, default:",
  ];
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
