import type { AclChecker } from "../haproxy/acl-check.ts";
import { normaliseServiceId } from "../routing/ids.ts";
import { makeService, StoreUnavailableError, type Service, type Store } from "../store/types.ts";
import { requireWriter } from "./auth.ts";
import { HttpError, jsonResponse } from "./errors.ts";
import type { Router } from "./router.ts";
import { parseServiceWrite } from "./service-request.ts";

export interface ServicesApiDeps {
  readonly store: Store;
  readonly aclChecker: AclChecker;
  readonly credentials: { readonly user: string; readonly password: string };
}

/** Bamboo's wire shape of a service. */
function toWire(service: Service) {
  return { Id: service.id, Acl: service.acl, Config: service.config };
}

/** `/api/services`: Bamboo's request and response shapes, with auth, validation and clear errors. */
export function mountServicesApi(router: Router, deps: ServicesApiDeps): void {
  const { store, aclChecker, credentials } = deps;

  router.on("GET", "/api/services", () => {
    const byId: Record<string, ReturnType<typeof toWire>> = {};
    for (const service of store.list()) byId[service.id] = toWire(service);
    return jsonResponse(byId);
  });

  router.on("GET", "/api/services/*", (_request, { rest }) => {
    const id = normaliseServiceId(rest);
    const service = store.get(id);
    if (!service) throw new HttpError(404, `no service with id ${id}`);
    return jsonResponse(toWire(service));
  });

  const write = async (request: Request, urlId?: string) => {
    requireWriter(request, credentials);
    const parsed = parseServiceWrite(await readJson(request), urlId);
    if (!parsed.ok) throw new HttpError(400, parsed.message);
    const { id, acl, config } = parsed.write;
    const verdict = await aclChecker.check(acl);
    if (!verdict.ok) throw new HttpError(400, `invalid ACL for ${id}: ${verdict.message}`, { id, acl });
    const service = makeService(id, acl, config);
    await guardStore(() => store.put(service));
    return jsonResponse(toWire(service));
  };

  router.on("POST", "/api/services", (request) => write(request));
  router.on("PUT", "/api/services/*", (request, { rest }) => write(request, rest));

  router.on("DELETE", "/api/services/*", async (request, { rest }) => {
    requireWriter(request, credentials);
    if (rest === "") throw new HttpError(400, "can not use empty ID");
    const id = normaliseServiceId(rest);
    const deleted = await guardStore(() => store.delete(id));
    if (!deleted) throw new HttpError(404, `no service with id ${id}`);
    // Bamboo answered a JSON null; clients that parse the body keep working.
    return jsonResponse(null);
  });
}

async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "the request body is not valid JSON");
  }
}

async function guardStore<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw new HttpError(503, `routing rules cannot be changed right now: ${error.message}`);
    throw error;
  }
}
