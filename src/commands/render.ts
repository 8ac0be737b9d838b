import type { Config } from "../config/config.ts";
import { runtimePaths } from "../config/paths.ts";
import { compileTemplate, loadTemplateSource } from "../haproxy/template.ts";
import { templateSettings } from "../haproxy/template-settings.ts";
import { MarathonClient } from "../marathon/client.ts";
import { MarathonTransport } from "../marathon/transport.ts";
import { toTemplateData } from "../routing/template-data.ts";
import { createStore } from "../store/index.ts";
import { silentLogger } from "../system/log.ts";

/** `bamboo render`: prints the config bamboo would serve for Marathon's apps and the stored rules. */
export async function renderCommand(config: Config): Promise<number> {
  const paths = runtimePaths(config);
  const template = await loadTemplateSource(config.haproxy.templatePath);
  const render = compileTemplate(template.name, template.source);
  const store = createStore(config, paths, silentLogger);
  await store.start();
  try {
    const { apps, problems } = await new MarathonClient(new MarathonTransport(config.marathon), { log: silentLogger }).fetchApps();
    for (const problem of problems) console.error(`warning: app ${problem.appId} left out: ${problem.message}`);
    process.stdout.write(render(toTemplateData(apps, store.list(), templateSettings(config, paths))));
    return 0;
  } finally {
    await store.close();
  }
}
