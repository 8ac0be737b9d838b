import { normaliseServiceId } from "../routing/ids.ts";

/** A service as a client wrote it, before the ACL is checked. */
export interface ServiceWrite {
  readonly id: string;
  readonly acl: string;
  readonly config: Record<string, string>;
}

export type ParsedWrite = { ok: true; write: ServiceWrite } | { ok: false; message: string };

/**
 * Reads a service from a request body the way Bamboo accepted it: keys in any case
 * (`id`/`Id`/`ID`), the ACL at top level or as `config.Acl`, a missing leading slash added.
 * The id in the URL (PUT) wins when the body has none; both given and different is an error.
 */
export function parseServiceWrite(body: unknown, urlId?: string): ParsedWrite {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, message: 'expected a JSON object such as {"id":"/app","acl":"hdr(host) -i app.example.com"}' };
  }
  const fields = lowerCaseKeys(body as Record<string, unknown>);
  for (const [key, value] of fields) {
    if (!["id", "acl", "config"].includes(key)) return { ok: false, message: `unknown field '${value.key}': expected id, acl and config` };
  }
  const id = fields.get("id")?.value;
  const acl = fields.get("acl")?.value;
  const config = fields.get("config")?.value;
  if (id !== undefined && typeof id !== "string") return { ok: false, message: "'id' must be a string" };
  if (acl !== undefined && acl !== null && typeof acl !== "string") return { ok: false, message: "'acl' must be a string" };
  if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) {
    return { ok: false, message: "'config' must be an object of strings" };
  }

  const configMap: Record<string, string> = {};
  for (const [key, value] of Object.entries((config ?? {}) as Record<string, unknown>)) {
    if (typeof value !== "string") return { ok: false, message: `config '${key}' must be a string` };
    // Bamboo's ACL key is "Acl"; accept any casing but store it under Bamboo's name.
    configMap[key.toLowerCase() === "acl" ? "Acl" : key] = value;
  }

  const bodyId = id === undefined || id === "" ? undefined : normaliseServiceId(id);
  const pathId = urlId === undefined || urlId === "" ? undefined : normaliseServiceId(urlId);
  if (bodyId && pathId && bodyId !== pathId) {
    return { ok: false, message: `the id in the body (${bodyId}) differs from the id in the URL (${pathId})` };
  }
  const serviceId = pathId ?? bodyId;
  if (!serviceId || serviceId === "/") return { ok: false, message: "can not use empty ID: give 'id' in the body or in the URL" };
  const idProblem = checkServiceId(serviceId);
  if (idProblem) return { ok: false, message: idProblem };

  const topAcl = typeof acl === "string" ? acl : "";
  const finalAcl = topAcl !== "" ? topAcl : (configMap.Acl ?? "");
  if (finalAcl === "") return { ok: false, message: "'acl' is required, e.g. \"hdr(host) -i app.example.com\" or \"path_beg -i /app\"" };
  configMap.Acl = finalAcl;
  return { ok: true, write: { id: serviceId, acl: finalAcl, config: configMap } };
}

/**
 * Service ids name Marathon apps and become HAProxy backend and ACL names, which allow only
 * letters, digits, '-', '_', '.' and ':' (from '/'). Upper case is kept: Bamboo's own
 * examples use it.
 */
export function checkServiceId(id: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(id)) return `the id '${JSON.stringify(id).slice(1, -1)}' contains whitespace or a control character`;
  if (id.includes("//")) return `the id '${id}' has an empty path segment`;
  if (id.length > 512) return "the id is longer than 512 characters";
  const bad = /[^A-Za-z0-9._\/-]/.exec(id);
  if (bad) {
    return `the id '${id}' contains '${bad[0]}': an id is a Marathon app id, path segments of letters, digits, '-', '.' and '_' separated by '/' (GET /api/sanitize-id?name=... turns a name into one)`;
  }
  if (id.endsWith("/")) return `the id '${id}' ends with '/'`;
  return undefined;
}

function lowerCaseKeys(object: Record<string, unknown>): Map<string, { key: string; value: unknown }> {
  const map = new Map<string, { key: string; value: unknown }>();
  for (const [key, value] of Object.entries(object)) map.set(key.toLowerCase(), { key, value });
  return map;
}
