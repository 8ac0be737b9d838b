import type { Args } from "./args.ts";
import { ConfigError, loadConfig, type LoadedConfig } from "../config/load.ts";
import { parsePolicy } from "../routing/acl/index.ts";
import { errorMessage } from "../system/error-message.ts";

/** Reads the config file named by --config (if any) and merges it with the environment and flags. */
export async function readConfig(args: Args, env: Readonly<Record<string, string | undefined>>): Promise<LoadedConfig> {
  let file: unknown;
  if (args.configFile !== undefined) {
    const handle = Bun.file(args.configFile);
    if (!(await handle.exists())) throw new ConfigError([`--config: file ${args.configFile} does not exist`]);
    try {
      file = JSON.parse(await handle.text());
    } catch (error) {
      throw new ConfigError([`--config: ${args.configFile} is not valid JSON (${errorMessage(error)})`]);
    }
  }
  const loaded = loadConfig({
    env,
    file,
    fileName: args.configFile,
    flags: args.bind === undefined ? {} : { BAMBOO_BIND: args.bind },
  });
  // The policy's words are routing's; config/ only carries the text.
  const policy = parsePolicy(loaded.config.bamboo.aclPolicy);
  if (!policy.ok) throw new ConfigError([`BAMBOO_ACL_POLICY='${loaded.config.bamboo.aclPolicy}': ${policy.message}`]);
  return loaded;
}
