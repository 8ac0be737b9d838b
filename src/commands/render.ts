import type { Config } from "../config/config.ts";
import { runtimePaths } from "../config/paths.ts";
import { compileTemplate, loadTemplateSource } from "../haproxy/template.ts";
import { appsFrom, servicesFrom, unreadEntries } from "./cluster-input.ts";
import { compileOnce, warnAbout } from "./compile-once.ts";

/**
 * `bamboo render`: prints the config serve would start with for Marathon's apps (or those of
 * `--apps FILE`) and the stored rules (or those of `--services FILE`); with both files it
 * needs neither Marathon nor the store. What is not routed as written goes to stderr.
 */
export async function renderCommand(config: Config, options: { appsFile?: string; servicesFile?: string }): Promise<number> {
  const paths = runtimePaths(config);
  const template = await loadTemplateSource(config.haproxy.templatePath);
  const render = compileTemplate(template.name, template.source);
  const list = await appsFrom(config, options.appsFile);
  const services = await servicesFrom(config, paths, options.servicesFile);
  const compiled = await compileOnce(config, paths, render, { apps: list.apps, services });
  warnAbout([...unreadEntries(list), ...compiled.problems]);
  process.stdout.write(compiled.config.text);
  return 0;
}
