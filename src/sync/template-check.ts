import type { RuntimePaths } from "../config/paths.ts";
import type { Config } from "../config/config.ts";
import { Compiler } from "../compile/compiler.ts";
import type { RenderConfig } from "../haproxy/template.ts";
import { templateSettings } from "../haproxy/template-settings.ts";
import { validateCompiled } from "../haproxy/validate-text.ts";

/**
 * Refuses, before anything starts, a template whose config for an empty cluster HAProxy
 * rejects: its global, defaults or frontend part is broken, so no set of apps can fix it.
 * @throws Error with HAProxy's own message.
 */
export async function refuseBrokenTemplate(config: Config, paths: RuntimePaths, render: RenderConfig, templateName: string): Promise<void> {
  const { verdict } = await validateCompiled(config.haproxy.bin, paths.dataDir, (mapDir) =>
    new Compiler(render, templateSettings(config, { ...paths, mapDir })).compile({ apps: [], services: [], answers: { hosts: new Map(), rules: new Map() }, previous: null }),
  );
  if (!verdict.ok) throw new Error(`template ${templateName} renders a config HAProxy rejects even with no apps: ${verdict.message}`);
}
