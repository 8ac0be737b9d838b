import type { AclChecker } from "../haproxy/acl-check.ts";
import { memoByObject, type AclPolicy, type RuleParser } from "../routing/acl/index.ts";
import { sanitizeAppId } from "../routing/app-id.ts";
import { portRouteRankId } from "../routing/port-routes.ts";
import { RequestTester } from "../routing/request-test.ts";
import { laterRoutedPorts, type TemplateData } from "../routing/template-data.ts";
import type { CertificateStore } from "../store/certificates.ts";
import type { Store } from "../store/types.ts";
import type { Logger } from "../system/log.ts";
import type { TrafficSampler } from "../traffic/sampler.ts";
import { authorize, whoIs } from "./access.ts";
import { mountAppPortsApi } from "./app-ports-api.ts";
import { requireCredential } from "./auth.ts";
import type { Credentials } from "./credentials.ts";
import { contentTypeRefusal, crossSiteRefusal } from "./cross-site.ts";
import { errorResponse, errorResponseTo, HttpError, jsonResponse } from "./errors.ts";
import { jsonStreamResponse } from "./json-stream.ts";
import { renderMetrics } from "./metrics.ts";
import type { OverviewFeed } from "./overview-feed.ts";
import { parseRequestTest } from "./request-test-body.ts";
import { readJsonBody } from "./request-body.ts";
import { Router } from "./router.ts";
import { mountCertificatesApi } from "./certificates-api.ts";
import { mountServicesApi } from "./services-api.ts";
import { mountTrafficApi } from "./traffic-api.ts";
import { SignInGuard } from "./sign-in-guard.ts";
import { proxyHAProxyMetrics, proxyStatsPage } from "./stats-proxy.ts";
import type { RequestTestAnswer } from "./ui/api-types.ts";
import { serveUi } from "./ui/serve.ts";
import { metricsOf, notReadyReason, statusOf, type LoopReadings } from "./views.ts";
import { runsService, whenApplied } from "./write-applied.ts";

/** The read-only view of the appliance that the HTTP layer serves. */
export interface ApplianceView {
  /** Every part's report, read now; the views in views.ts are computed from it. */
  readings(): LoopReadings;
  /** Called after every attempt to apply a state to HAProxy; returns the unsubscribe. */
  onApplied(listener: () => void): () => void;
  /** Legacy callback mode: an event Marathon posted. */
  marathonCallback(event: unknown): void;
}

export interface HttpDeps {
  readonly store: Store;
  readonly certificateStore: Pick<CertificateStore, "get" | "put" | "delete">;
  readonly aclChecker: Pick<AclChecker, "check">;
  readonly policy: AclPolicy;
  /** The appliance's rule parser (acl/memo.ts); the API's write checks get one of their own when left out. */
  readonly parseRule?: RuleParser;
  readonly credentials: Credentials;
  readonly view: ApplianceView;
  readonly overview: OverviewFeed;
  readonly traffic: TrafficSampler;
  readonly statsPageSocket: string;
  readonly log: Logger;
}

/**
 * Builds the API's routes; separate from listening so tests can call `handle` directly.
 * Who may call each is decided before routing, by {@link createHandler} (access.ts).
 */
export function createRouter(deps: HttpDeps): Router {
  const { view, log, credentials } = deps;
  const router = new Router((error, request) => log.error("request failed", { method: request.method, url: request.url, error }));
  const tester = new RequestTester();

  // Liveness, for Marathon's health check: the process answers. It stays 200 while Marathon
  // or ZooKeeper is down, so Marathon does not kill an appliance that is waiting for them.
  router.on("GET", "/healthz", () => new Response("alive"));
  // Readiness, for load balancers in front: whether this instance should get traffic now.
  router.on("GET", "/status", () => {
    const reason = notReadyReason(view.readings());
    return reason === "" ? new Response("OK") : new Response(`NOT READY: ${reason}`, { status: 503 });
  });
  // What HAProxy runs: the template data of the last config it accepted.
  router.on("GET", "/api/state", () => jsonStreamResponse(view.readings().applied.data));
  router.on("GET", "/api/status", () => jsonResponse(statusOf(view.readings())));
  router.on("GET", "/api/whoami", (request) => jsonResponse(whoIs(request, credentials.api)));
  router.on("GET", "/metrics", () => new Response(renderMetrics(metricsOf(view.readings())), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }));
  router.on("GET", "/api/overview", () => new Response(deps.overview.currentJson(), { headers: { "content-type": "application/json; charset=utf-8" } }));
  router.on("GET", "/api/events", (request) => deps.overview.stream(request));
  mountTrafficApi(router, { traffic: deps.traffic, apps: () => view.readings().applied.data.Apps });
  mountAppPortsApi(router, { applied: () => view.readings().applied });
  router.on("POST", "/api/request-test", async (request) => {
    const test = parseRequestTest(await readJsonBody(request));
    const explanation = tester.explain(view.readings().applied.data, test);
    const states = deps.overview.serverStates();
    const answer: RequestTestAnswer = {
      ...explanation,
      servers: explanation.servers.map((address) => ({ address, haproxy: states.get(address) ?? null })),
    };
    return jsonResponse(answer);
  });
  router.on("GET", "/api/sanitize-id", (request) => {
    const name = new URL(request.url).searchParams.get("name");
    if (name === null) throw new HttpError(400, "give the name to sanitise as ?name=...");
    const result = sanitizeAppId(name);
    if (!result.ok) throw new HttpError(400, result.message);
    return jsonResponse({ name, id: result.id });
  });
  // Read at every write; the applied data changes far less often than that at 10,000 apps.
  // Later ports routed by their labels claim their hosts and paths too, under names such as "/shop port 1".
  const routedRulesOf = memoByObject((data: TemplateData) => {
    const routed = data.Apps.filter((app) => !app.HasService);
    const rules = new Map(routed.map((app) => [app.Id, app.Acl]));
    const fromLabels = new Set(routed.filter((app) => app.RuleSource === "labels").map((app) => app.Id));
    for (const app of data.Apps) {
      for (const port of laterRoutedPorts(app)) {
        const name = portRouteRankId({ id: app.Id, index: port.Index });
        rules.set(name, port.Acl);
        fromLabels.add(name);
      }
    }
    return { rules, fromLabels };
  });
  mountServicesApi(router, {
    store: deps.store,
    aclChecker: deps.aclChecker,
    policy: deps.policy,
    parseRule: deps.parseRule,
    // The apps HAProxy routes now by their default rule or the one their labels give.
    routedRules: () => routedRulesOf(view.readings().applied.data),
    applied: (id, acl) => whenApplied(view, runsService(id, acl)),
  });
  mountCertificatesApi(router, { store: deps.certificateStore, readings: () => view.readings(), applied: (done) => whenApplied(view, done) });
  router.on("POST", "/api/marathon/event_callback", async (request) => {
    view.marathonCallback(await readJsonBody(request));
    return jsonResponse({ accepted: true });
  });
  const stats = (request: Request) => {
    requireCredential(request, credentials.stats, "the HAProxy stats page");
    return proxyStatsPage(request, deps.statsPageSocket);
  };
  router.on("GET", "/haproxy_stats", stats);
  router.on("GET", "/metrics/haproxy", (request) => proxyHAProxyMetrics(request, deps.statsPageSocket));
  router.on("POST", "/haproxy_stats", stats);
  router.on("GET", "/", serveUi);
  router.on("GET", "/index.html", serveUi);
  router.on("GET", "/ui/*", serveUi);
  return router;
}

export interface ListenOptions {
  readonly hostname: string;
  readonly port: number;
}

/**
 * The router behind three guards every request passes: writes from another site (or not
 * declared as JSON) are refused before any handler runs, an address that keeps failing to
 * sign in is paused before its credentials are looked at again, and a request that needs
 * a role (reads: viewer or admin; writes: admin) gets 401 or 403 without one.
 */
export function createHandler(deps: HttpDeps, guard = new SignInGuard()): (request: Request, clientAddress: string) => Promise<Response> {
  const router = createRouter(deps);
  const route = (request: Request): Promise<Response> => {
    try {
      authorize(request, deps.credentials.api);
    } catch (error) {
      if (error instanceof HttpError) return Promise.resolve(errorResponseTo(request, error));
      throw error;
    }
    return router.handle(request);
  };
  return async (request, clientAddress) => {
    const path = new URL(request.url).pathname;
    const refusal = crossSiteRefusal(request) ?? (path.startsWith("/api/") ? contentTypeRefusal(request) : null);
    if (refusal) return errorResponse(new HttpError(refusal.status, refusal.message));
    if (!request.headers.has("authorization")) return route(request);
    const pauseMs = guard.pauseMs(clientAddress);
    if (pauseMs > 0) {
      const seconds = Math.ceil(pauseMs / 1000);
      return jsonResponse({ error: `too many failed sign-ins from ${clientAddress}: try again in ${seconds} s` }, 429, { "retry-after": String(seconds) });
    }
    const response = await route(request);
    if (response.status === 401) {
      const pause = guard.failed(clientAddress);
      deps.log.warn("failed sign-in", { address: clientAddress, method: request.method, path, pausedForMs: pause || undefined });
    }
    return response;
  };
}

export function listen(deps: HttpDeps, options: ListenOptions): ReturnType<typeof Bun.serve> {
  const handle = createHandler(deps);
  return Bun.serve({
    hostname: options.hostname === "" ? "0.0.0.0" : options.hostname,
    port: options.port,
    // Long enough for the stats page and the UI's event stream (which pings every 15 s).
    idleTimeout: 60,
    // Certificate uploads are the largest bodies (certificates-api.ts checks their own limit).
    maxRequestBodySize: 2 * 1024 * 1024,
    fetch: (request, server) => handle(request, server.requestIP(request)?.address ?? "unknown"),
  });
}
