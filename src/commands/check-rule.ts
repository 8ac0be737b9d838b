import { readFile } from "node:fs/promises";
import type { Config } from "../config/config.ts";
import { errorMessage } from "../system/error-message.ts";

/**
 * `bamboo check-rule <id> <acl>`: the running appliance's own dry run, so a delivery
 * pipeline gates on exactly what a write would answer. Exit 0 accepted, 1 refused,
 * 2 when the appliance could not be asked.
 */
export async function checkRuleCommand(config: Config, positional: readonly string[]): Promise<number> {
  if (positional.length !== 2) {
    console.error("usage: bamboo check-rule ID ACL   e.g. bamboo check-rule /shop/web 'hdr(host) -i shop.example.com'");
    return 2;
  }
  const [id, acl] = positional as [string, string];
  const endpoint = config.bamboo.endpoint.replace(/\/+$/, "");
  const headers: Record<string, string> = { "content-type": "application/json" };
  const password = config.bamboo.apiPassword || (await storedPassword(config.bamboo.dataDir));
  if (password) headers.authorization = `Basic ${btoa(`${config.bamboo.apiUser}:${password}`)}`;
  let response: Response;
  try {
    response = await fetch(`${endpoint}/api/services?dryRun=true`, {
      method: "POST",
      headers,
      body: JSON.stringify({ id, acl }),
      signal: AbortSignal.timeout(config.marathon.requestTimeoutMs),
    });
  } catch (error) {
    console.error(`bamboo: cannot reach the appliance at ${endpoint} (BAMBOO_ENDPOINT): ${errorMessage(error)}`);
    return 2;
  }
  const body = (await response.json().catch(() => null)) as { error?: string; Acl?: string; overlaps?: { otherId: string; detail: string }[] } | null;
  if (response.ok && body) {
    console.log(`accepted: ${id} would be routed by '${body.Acl}'`);
    for (const overlap of body.overlaps ?? []) console.log(`  overlaps ${overlap.otherId}: ${overlap.detail}`);
    return 0;
  }
  if (response.status === 400 || response.status === 409) {
    console.log(`refused (${response.status}): ${body?.error ?? "no reason given"}`);
    return 1;
  }
  console.error(`bamboo: the appliance at ${endpoint} answered ${response.status}: ${body?.error ?? ""}`);
  return 2;
}

/** The generated password, when this runs beside the appliance as the same user. */
async function storedPassword(dataDir: string): Promise<string> {
  try {
    return (await readFile(`${dataDir.replace(/\/+$/, "")}/api-password`, "utf8")).trim();
  } catch {
    return "";
  }
}
