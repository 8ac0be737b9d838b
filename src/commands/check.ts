import { tmpdir } from "node:os";
import type { Config } from "../config/config.ts";
import { runtimePaths } from "../config/paths.ts";
import { culpritApps } from "../haproxy/culprits.ts";
import { compileTemplate, loadTemplateSource } from "../haproxy/template.ts";
import { validateCompiled } from "../haproxy/validate-text.ts";
import type { AppList } from "../marathon/types.ts";
import { refuseBrokenTemplate } from "../sync/template-check.ts";
import { errorMessage } from "../system/error-message.ts";
import { appsFrom, servicesFrom, unreadEntries } from "./cluster-input.ts";
import { compileOnce, warnAbout } from "./compile-once.ts";

/**
 * `bamboo check`: the configuration parses (done before we get here), the template
 * compiles, and HAProxy accepts the config serve would run, first for an empty cluster,
 * then for Marathon's current apps (or those of `--apps FILE`) with the stored rules (or
 * those of `--services FILE`). Exit 0 or 1.
 */
export async function checkCommand(config: Config, warnings: readonly string[], options: { appsFile?: string; servicesFile?: string }): Promise<number> {
  for (const warning of warnings) console.error(`warning: ${warning}`);
  const paths = runtimePaths(config);
  const template = await loadTemplateSource(config.haproxy.templatePath);
  const render = compileTemplate(template.name, template.source);
  try {
    await refuseBrokenTemplate(config, { ...paths, dataDir: tmpdir() }, render, template.name);
  } catch (error) {
    console.error(errorMessage(error));
    return 1;
  }
  const list = await appsToCheck(config, options.appsFile);
  if (list === null) {
    console.log(`configuration OK; template ${template.name} OK for an empty cluster (not checked against apps: pass --apps FILE)`);
    return 0;
  }
  const services = await servicesFrom(config, paths, options.servicesFile);
  const { compiled, verdict } = await validateCompiled(config.haproxy.bin, tmpdir(), (mapDir) => compileOnce(config, { ...paths, mapDir }, render, { apps: list.apps, services }));
  const { config: slotted, data, problems } = compiled;
  warnAbout([...unreadEntries(list), ...problems]);
  if (!verdict.ok) {
    console.error(`template ${template.name} renders a config HAProxy rejects for ${data.Apps.length} apps: ${verdict.message}`);
    const culprits = culpritApps(slotted.text, verdict.alerts, data.Apps.map((app) => ({ id: app.Id, escapedId: app.EscapedId })));
    if (culprits.length > 0 && culprits.length < data.Apps.length) console.error(`HAProxy's errors point at ${culprits.join(", ")}: serve leaves these apps out if the others are accepted without them`);
    return 1;
  }
  console.log(`configuration OK; template ${template.name} OK for ${data.Apps.length} apps and ${services.length} rules`);
  return 0;
}

/** The apps of `file`, or Marathon's; null (with a warning) when Marathon cannot be asked. */
async function appsToCheck(config: Config, file: string | undefined): Promise<AppList | null> {
  try {
    return await appsFrom(config, file);
  } catch (error) {
    if (file !== undefined) throw error;
    console.error(`warning: Marathon could not be asked for its apps: ${errorMessage(error)}`);
    return null;
  }
}
