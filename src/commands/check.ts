import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { runtimePaths } from "../config/paths.ts";
import { compileTemplate, loadTemplateSource } from "../haproxy/template.ts";
import { templateSettings } from "../haproxy/template-settings.ts";
import { validateConfig } from "../haproxy/validate.ts";
import { toTemplateData } from "../routing/template-data.ts";

/**
 * `bamboo check`: the configuration parses (done before we get here), the template
 * compiles, and HAProxy accepts what it renders for an empty cluster. Exit 0 or 1.
 */
export async function checkCommand(config: Config, warnings: readonly string[]): Promise<number> {
  for (const warning of warnings) console.error(`warning: ${warning}`);
  const template = await loadTemplateSource(config.haproxy.templatePath);
  const render = compileTemplate(template.name, template.source);
  const text = render(toTemplateData([], [], templateSettings(config, runtimePaths(config))));
  const dir = await mkdtemp(join(tmpdir(), "bamboo-check-"));
  try {
    const file = join(dir, "haproxy.cfg");
    await writeFile(file, text);
    const verdict = await validateConfig(config.haproxy.bin, file);
    if (!verdict.ok) {
      console.error(`template ${template.name} renders a config HAProxy rejects: ${verdict.message}`);
      return 1;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`configuration OK; template ${template.name} OK`);
  return 0;
}
