import { tmpdir } from "node:os";
import type { Config } from "../config/config.ts";
import { runtimePaths } from "../config/paths.ts";
import { compileTemplate, loadTemplateSource } from "../haproxy/template.ts";
import { templateSettings } from "../haproxy/template-settings.ts";
import { validateConfigText } from "../haproxy/validate-text.ts";
import { MarathonClient } from "../marathon/client.ts";
import { MarathonTransport } from "../marathon/transport.ts";
import { normaliseAppList } from "../marathon/normalise.ts";
import type { AppList } from "../marathon/types.ts";
import { checkAppSettings } from "../routing/app-settings.ts";
import { toTemplateData } from "../routing/template-data.ts";
import { createStore } from "../store/index.ts";
import { silentLogger } from "../system/log.ts";
import { culpritApps } from "../haproxy/culprits.ts";
import { refuseBrokenTemplate } from "../sync/template-check.ts";

/**
 * `bamboo check`: the configuration parses (done before we get here), the template
 * compiles, and HAProxy accepts what it renders, first for an empty cluster, then for
 * Marathon's current apps (or those of `--apps FILE`) with the stored rules. Exit 0 or 1.
 */
export async function checkCommand(config: Config, warnings: readonly string[], options: { appsFile?: string }): Promise<number> {
  for (const warning of warnings) console.error(`warning: ${warning}`);
  const paths = runtimePaths(config);
  const template = await loadTemplateSource(config.haproxy.templatePath);
  const render = compileTemplate(template.name, template.source);
  try {
    await refuseBrokenTemplate(config, { ...paths, dataDir: tmpdir() }, render, template.name);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  const list = await appsToCheck(config, options.appsFile);
  if (list === null) {
    console.log(`configuration OK; template ${template.name} OK for an empty cluster (not checked against apps: pass --apps FILE)`);
    return 0;
  }
  for (const problem of list.problems) console.error(`warning: app ${problem.appId || "(no id)"} left out: ${problem.message}`);
  const store = createStore(config, paths, silentLogger);
  await store.start();
  let services;
  try {
    services = store.list();
  } finally {
    await store.close();
  }
  const data = toTemplateData(checkAppSettings(list.apps).apps, services, templateSettings(config, paths));
  const text = render(data);
  const verdict = await validateConfigText(config.haproxy.bin, text, tmpdir());
  if (!verdict.ok) {
    console.error(`template ${template.name} renders a config HAProxy rejects for ${data.Apps.length} apps: ${verdict.message}`);
    const culprits = culpritApps(text, verdict.alerts, data.Apps.map((app) => ({ id: app.Id, escapedId: app.EscapedId })));
    if (culprits.length > 0 && culprits.length < data.Apps.length) console.error(`HAProxy's errors point at ${culprits.join(", ")}: serve leaves these apps out if the others are accepted without them`);
    return 1;
  }
  console.log(`configuration OK; template ${template.name} OK for ${data.Apps.length} apps and ${services.length} rules`);
  return 0;
}

/** The apps of `file`, or Marathon's; null (with a warning) when Marathon cannot be asked. */
async function appsToCheck(config: Config, file: string | undefined): Promise<AppList | null> {
  if (file !== undefined) {
    let body: unknown;
    try {
      body = await Bun.file(file).json();
    } catch (error) {
      throw new Error(`--apps ${file}: ${error instanceof Error ? error.message : String(error)} (expected a saved GET /v2/apps?embed=apps.tasks answer)`);
    }
    return normaliseAppList(body, Date.now());
  }
  try {
    return await new MarathonClient(new MarathonTransport(config.marathon), { log: silentLogger }).fetchApps();
  } catch (error) {
    console.error(`warning: Marathon could not be asked for its apps: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}
