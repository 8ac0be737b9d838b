import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Config } from "../config/config.ts";
import type { Logger } from "../system/log.ts";

export interface Credential {
  readonly user: string;
  readonly password: string;
}

/** Who may call the API: the admin reads and writes, the viewer only reads. */
export interface ApiAccess {
  readonly admin: Credential;
  /** null: reads are open to anyone (BAMBOO_API_READ_AUTH=false), as Bamboo had them. */
  readonly viewer: Credential | null;
  /** /metrics and /metrics/haproxy alone need no credentials (BAMBOO_METRICS_AUTH=false), for a Prometheus scraper. */
  readonly metricsOpen: boolean;
}

export interface Credentials {
  /** null: the operator turned auth off with BAMBOO_API_AUTH=false. */
  readonly api: ApiAccess | null;
  readonly stats: Credential;
}

/**
 * Secure by default: a password that is not configured is generated at first start,
 * kept in the data directory readable by bamboo only, and read back on later starts, so
 * a fresh appliance never accepts anonymous writes, shows its apps and rules to anyone, or
 * shows the stats page to anyone.
 */
export async function resolveCredentials(config: Config, dataDir: string, log: Logger): Promise<Credentials> {
  const stats = {
    user: config.haproxy.statsUser,
    password: await secret(config.haproxy.statsPassword, `${dataDir}/stats-password`, "HAPROXY_STATS_PASSWORD", log),
  };
  if (!config.bamboo.apiAuth) {
    log.warn("BAMBOO_API_AUTH=false: anyone who reaches the API can change routing rules and read app environments");
    return { api: null, stats };
  }
  const admin = {
    user: config.bamboo.apiUser,
    password: await secret(config.bamboo.apiPassword, `${dataDir}/api-password`, "BAMBOO_API_PASSWORD", log),
  };
  if (!config.bamboo.readAuth) {
    log.warn("BAMBOO_API_READ_AUTH=false: anyone who reaches the API can read every app, rule, task address and app environment");
    return { api: { admin, viewer: null, metricsOpen: true }, stats };
  }
  const viewer = {
    user: config.bamboo.viewerUser,
    password: await secret(config.bamboo.viewerPassword, `${dataDir}/viewer-password`, "BAMBOO_VIEWER_PASSWORD", log),
  };
  if (!config.bamboo.metricsAuth) log.warn("BAMBOO_METRICS_AUTH=false: anyone who reaches the API can read /metrics");
  return { api: { admin, viewer, metricsOpen: !config.bamboo.metricsAuth }, stats };
}

async function secret(configured: string, file: string, setting: string, log: Logger): Promise<string> {
  if (configured !== "") return configured;
  try {
    const stored = (await readFile(file, "utf8")).trim();
    if (stored !== "") return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  const generated = randomBytes(18).toString("base64url");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, generated + "\n", { mode: 0o600 });
  await chmod(file, 0o600);
  log.warn(`${setting} is not set: generated a password and stored it in ${file} (readable by this user only)`);
  return generated;
}
