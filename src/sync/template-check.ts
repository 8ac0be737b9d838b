import type { RuntimePaths } from "../config/paths.ts";
import type { Config } from "../config/config.ts";
import type { RenderConfig } from "../haproxy/template.ts";
import { templateSettings } from "../haproxy/template-settings.ts";
import { validateConfigText } from "../haproxy/validate-text.ts";
import { toTemplateData } from "../routing/template-data.ts";

/**
 * Refuses, before anything starts, a template whose config for an empty cluster HAProxy
 * rejects: its global, defaults or frontend part is broken, so no set of apps can fix it.
 * @throws Error with HAProxy's own message.
 */
export async function refuseBrokenTemplate(config: Config, paths: RuntimePaths, render: RenderConfig, templateName: string): Promise<void> {
  const text = render(toTemplateData([], [], templateSettings(config, paths)));
  const verdict = await validateConfigText(config.haproxy.bin, text, paths.dataDir);
  if (!verdict.ok) throw new Error(`template ${templateName} renders a config HAProxy rejects even with no apps: ${verdict.message}`);
}
