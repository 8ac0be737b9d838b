import type { Config } from "../config/config.ts";
import type { AclChecker } from "../haproxy/acl-check.ts";
import type { TemplateData } from "../routing/template-data.ts";
import type { Store } from "../store/types.ts";
import type { Logger } from "../system/log.ts";
import { requireWriter } from "./auth.ts";
import { HttpError, jsonResponse } from "./errors.ts";
import { Router } from "./router.ts";
import { mountServicesApi } from "./services-api.ts";
import { proxyStatsPage } from "./stats-proxy.ts";

/** The read-only view of the appliance that the HTTP layer serves. */
export interface ApplianceView {
  /** True when the first Marathon sync is done and HAProxy serves a valid config. */
  ready(): boolean;
  /** Why the appliance is not ready, for the /status body. */
  notReadyReason(): string;
  templateData(): TemplateData;
  status(): unknown;
  /** Legacy callback mode: an event Marathon posted. */
  marathonCallback(event: unknown): void;
}

export interface HttpDeps {
  readonly config: Config;
  readonly store: Store;
  readonly aclChecker: AclChecker;
  readonly view: ApplianceView;
  readonly statsPageSocket: string;
  readonly log: Logger;
}

/** Builds the API's routes; separate from listening so tests can call `handle` directly. */
export function createRouter(deps: HttpDeps): Router {
  const { config, view, log } = deps;
  const credentials = { user: config.bamboo.apiUser, password: config.bamboo.apiPassword };
  const router = new Router((error, request) => log.error("request failed", { method: request.method, url: request.url, error }));

  router.on("GET", "/status", () =>
    view.ready() ? new Response("OK") : new Response(`NOT READY: ${view.notReadyReason()}`, { status: 503 }),
  );
  router.on("GET", "/api/state", () => jsonResponse(view.templateData()));
  router.on("GET", "/api/status", () => jsonResponse(view.status()));
  mountServicesApi(router, { store: deps.store, aclChecker: deps.aclChecker, credentials });
  router.on("POST", "/api/marathon/event_callback", async (request) => {
    let event: unknown;
    try {
      event = await request.json();
    } catch {
      throw new HttpError(400, "the event is not valid JSON");
    }
    view.marathonCallback(event);
    return jsonResponse({ accepted: true });
  });
  const stats = (request: Request) => {
    requireWriter(request, credentials);
    return proxyStatsPage(request, deps.statsPageSocket);
  };
  router.on("GET", "/haproxy_stats", stats);
  router.on("POST", "/haproxy_stats", stats);
  return router;
}

export function listen(deps: HttpDeps): ReturnType<typeof Bun.serve> {
  const router = createRouter(deps);
  const { bind } = deps.config.bamboo;
  return Bun.serve({
    hostname: bind.host === "" ? "0.0.0.0" : bind.host,
    port: bind.port,
    // Long enough for the stats page and server-sent events; Bun's default is 10 s.
    idleTimeout: 120,
    fetch: (request) => router.handle(request),
  });
}
