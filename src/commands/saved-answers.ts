import { normaliseAppList } from "../marathon/normalise.ts";
import type { AppList } from "../marathon/types.ts";
import { makeService, type Service } from "../store/types.ts";
import { errorMessage } from "../system/error-message.ts";

/** `--apps FILE`: a saved `GET /v2/apps?embed=apps.tasks` answer, read as Marathon's would be. */
export async function readSavedApps(file: string): Promise<AppList> {
  return normaliseAppList(await readJson(file, "--apps", "a saved GET /v2/apps?embed=apps.tasks answer"), Date.now());
}

/** `--services FILE`: a saved `GET /api/services` answer (Bamboo's or bamboo's), read as the store would hold it. */
export async function readSavedServices(file: string): Promise<Service[]> {
  const what = "a saved GET /api/services answer";
  const body = await readJson(file, "--services", what);
  try {
    return servicesOfApiAnswer(body);
  } catch (error) {
    throw new Error(`--services ${file}: ${errorMessage(error)} (expected ${what})`);
  }
}

/**
 * The services of a `GET /api/services` answer, `{"/id": {"Id","Acl","Config"}}`, sorted by
 * id as the store lists them. Bamboo's answers may leave `Config` null.
 * @throws Error naming the entry that is not a service.
 */
export function servicesOfApiAnswer(body: unknown): Service[] {
  if (!isObject(body)) throw new Error("not a JSON object of services by id");
  const services = Object.entries(body).map(([key, entry]) => {
    if (!isObject(entry)) throw new Error(`${key}: not an object`);
    const { Id: id = key, Acl: acl = "", Config: config } = entry;
    if (typeof id !== "string" || typeof acl !== "string") throw new Error(`${key}: Id and Acl must be strings`);
    if (config != null && (!isObject(config) || Object.values(config).some((value) => typeof value !== "string"))) {
      throw new Error(`${key}: Config must map names to strings`);
    }
    return makeService(id, acl, (config ?? {}) as Record<string, string>);
  });
  return services.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function readJson(file: string, flag: string, what: string): Promise<unknown> {
  try {
    return await Bun.file(file).json();
  } catch (error) {
    throw new Error(`${flag} ${file}: ${errorMessage(error)} (expected ${what})`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
