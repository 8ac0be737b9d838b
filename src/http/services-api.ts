import { isFinal, type AclChecker } from "../haproxy/acl-check.ts";
import { ruleParser, validateRule, type AclPolicy, type RuleParser } from "../routing/acl/index.ts";
import { httpsSettingProblems } from "../routing/https-settings.ts";
import { normaliseServiceId } from "../routing/ids.ts";
import { makeService, type Service, type Store } from "../store/types.ts";
import { HttpError, jsonResponse } from "./errors.ts";
import { guardStore } from "./store-errors.ts";
import { readJsonBody } from "./request-body.ts";
import type { Router } from "./router.ts";
import { parseServiceWrite, type ServiceWrite } from "./service-request.ts";
import type { AppliedBy } from "./write-applied.ts";

export interface RoutedRules {
  readonly rules: ReadonlyMap<string, string>;
  readonly fromLabels: ReadonlySet<string>;
}

export interface ServicesApiDeps {
  readonly store: Store;
  readonly aclChecker: Pick<AclChecker, "check">;
  readonly policy: AclPolicy;
  /** The appliance's rule parser, shared with the compile (acl/memo.ts); one of its own when left out. */
  readonly parseRule?: RuleParser;
  /**
   * The rules of routed apps without a stored one (their default rule, or the one their
   * labels give), by id, and which come from labels: what a new rule may not claim either.
   */
  readonly routedRules: () => RoutedRules;
  /** Resolves once HAProxy runs service `id` with `acl` (null: without it), saying how; bounded. */
  readonly applied: (id: string, acl: string | null) => Promise<AppliedBy>;
}

/** The header a write's answer carries: `runtime`, `reload`, or `pending` (stored, not yet run). */
export const APPLIED_HEADER = "x-bamboo-applied";

/** Bamboo's wire shape of a service. */
export function toWire(service: Service) {
  return { Id: service.id, Acl: service.acl, Config: service.config };
}

/**
 * `/api/services`: Bamboo's request and response shapes, with auth, the rules policy,
 * conflict checks and clear errors. `?dryRun=true` answers exactly what the write would
 * and stores nothing; `?allowOverlap=true` accepts a rule that overlaps another service's
 * (most specific wins).
 */
export function mountServicesApi(router: Router, deps: ServicesApiDeps): void {
  // Who may write is decided before any handler runs (access.ts).
  const { store } = deps;
  // Every write compares its rule with every stored one.
  const parse = deps.parseRule ?? ruleParser();

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
    const flags = new URL(request.url).searchParams;
    const parsed = parseServiceWrite(await readJsonBody(request), urlId);
    if (!parsed.ok) throw new HttpError(400, parsed.message);
    const checked = await checkWrite(parsed.write, deps, parse, flag(flags, "allowOverlap"));
    if (flag(flags, "dryRun")) return jsonResponse({ ...toWire(checked.service), dryRun: true, overlaps: checked.overlaps });
    await guardStore(() => store.put(checked.service), "routing rules", 503);
    // Bamboo's body, unchanged; how HAProxy took it is a header, so no client sees a new field.
    return jsonResponse(toWire(checked.service), 200, { [APPLIED_HEADER]: await deps.applied(checked.service.id, checked.service.acl) });
  };

  router.on("POST", "/api/services", (request) => write(request));
  router.on("PUT", "/api/services/*", (request, { rest }) => write(request, rest));

  router.on("DELETE", "/api/services/*", async (request, { rest }) => {
    if (rest === "" || rest === "/") throw new HttpError(400, "can not use empty ID");
    const id = normaliseServiceId(rest);
    if (!store.get(id)) throw new HttpError(404, `no service with id ${id}`);
    if (flag(new URL(request.url).searchParams, "dryRun")) return jsonResponse({ dryRun: true, deleted: id });
    await guardStore(() => store.delete(id), "routing rules", 503);
    // Bamboo answered a JSON null; clients that parse the body keep working.
    return jsonResponse(null, 200, { [APPLIED_HEADER]: await deps.applied(id, null) });
  });
}

/**
 * Everything a write must pass, in order: our parser, the hijack check, the policy and
 * other services' claims (validateRule), then HAProxy itself on the canonical text.
 */
async function checkWrite(write: ServiceWrite, deps: ServicesApiDeps, parse: RuleParser, allowOverlap: boolean) {
  const settings = httpsSettingProblems(write.config);
  if (settings.length > 0) throw new HttpError(400, `${write.id}: ${settings.join("; ")}`);
  const others = new Map(deps.store.list().filter((service) => service.id !== write.id).map((service) => [service.id, service.acl]));
  const routed = deps.routedRules();
  const verdict = validateRule({ id: write.id, acl: write.acl, others, defaults: routed.rules, fromLabels: routed.fromLabels, policy: deps.policy, allowOverlap, parse });
  if (!verdict.ok) {
    throw new HttpError(verdict.status, `${write.id}: ${verdict.message}`, verdict.conflictsWith ? { conflictsWith: verdict.conflictsWith } : {});
  }
  const haproxy = await deps.aclChecker.check(verdict.canonical);
  // HAProxy that could not be asked says nothing about the rule: try again later, not "invalid".
  if (!haproxy.ok && !isFinal(haproxy)) throw new HttpError(503, `${write.id}: the rule could not be checked, try again: ${haproxy.message}`);
  if (!haproxy.ok) throw new HttpError(400, `${write.id}: ${haproxy.message}`);
  return {
    service: makeService(write.id, verdict.canonical, write.config),
    overlaps: verdict.overlaps.map((overlap) => ({ id: write.id, otherId: overlap.otherId, detail: overlap.detail })),
  };
}

function flag(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null) return false;
  if (value === "" || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new HttpError(400, `query parameter ${name} must be true or false`);
}
