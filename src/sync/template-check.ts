import type { RuntimePaths } from "../config/paths.ts";
import type { Config } from "../config/config.ts";
import { Compiler } from "../compile/compiler.ts";
import type { RenderConfig } from "../haproxy/template.ts";
import { templateSettings } from "../haproxy/template-settings.ts";
import { validateConfigText } from "../haproxy/validate-text.ts";

/**
 * Refuses, before anything starts, a template whose config for an empty cluster HAProxy
 * rejects: its global, defaults or frontend part is broken, so no set of apps can fix it.
 * @throws Error with HAProxy's own message.
 */
export async function refuseBrokenTemplate(config: Config, paths: RuntimePaths, render: RenderConfig, templateName: string): Promise<void> {
  const empty = new Compiler(render, templateSettings(config, paths)).compile({ apps: [], services: [], answers: { hosts: new Map(), rules: new Map() }, previous: null });
  const verdict = await validateConfigText(config.haproxy.bin, empty.config.text, paths.dataDir);
  if (!verdict.ok) throw new Error(`template ${templateName} renders a config HAProxy rejects even with no apps: ${verdict.message}`);
}
