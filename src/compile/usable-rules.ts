import type { AclVerdict } from "../haproxy/acl-check.ts";
import type { Service } from "../store/types.ts";
import type { RoutingProblem } from "./problems.ts";

export interface UsableServices {
  readonly services: readonly Service[];
  readonly problems: readonly RoutingProblem[];
}

/**
 * The services whose rule HAProxy accepts. A stored rule it rejects (one written into
 * ZooKeeper by another tool, say) is left out, so its app falls back to its default path
 * rule instead of breaking every app's config; it is reported. Pure.
 */
export function usableServices(services: readonly Service[], verdicts: ReadonlyMap<string, AclVerdict>): UsableServices {
  const usable: Service[] = [];
  const problems: RoutingProblem[] = [];
  for (const service of services) {
    const verdict = service.acl === "" ? { ok: true as const } : (verdicts.get(service.acl) ?? { ok: false as const, message: "HAProxy was not asked about it" });
    if (verdict.ok) usable.push(service);
    else problems.push({ id: service.id, message: `rule not routed, the app falls back to its default path rule: ${verdict.message}` });
  }
  return { services: usable, problems };
}
