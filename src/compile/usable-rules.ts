import type { AclVerdict } from "../haproxy/acl-check.ts";
import { storedRuleKeyProblem } from "../routing/acl/index.ts";
import { httpsSettingProblems } from "../routing/https-settings.ts";
import type { Service } from "../store/types.ts";
import type { RoutingProblem } from "./problems.ts";

export interface UsableServices {
  readonly services: readonly Service[];
  readonly problems: readonly RoutingProblem[];
}

/**
 * The services whose rule HAProxy accepts. A stored rule it rejects (one written into
 * ZooKeeper by another tool, say) is left out, so its app falls back to its default path
 * rule instead of breaking every app's config; it is reported. So is a rule with a pattern no
 * map file could hold as a key (an escaped blank), which the API would have refused. Pure.
 */
export function usableServices(
  services: readonly Service[],
  verdicts: ReadonlyMap<string, AclVerdict>,
  keyProblem: (acl: string) => string | null = storedRuleKeyProblem,
): UsableServices {
  const usable: Service[] = [];
  const problems: RoutingProblem[] = [];
  for (const service of services) {
    const problem = keyProblem(service.acl);
    const verdict =
      // Made by bamboo from checked host names and paths: plain keys HAProxy always accepts.
      service.acl === "" || service.origin === "labels"
        ? { ok: true as const }
        : problem !== null
          ? { ok: false as const, message: problem }
          : (verdicts.get(service.acl) ?? { ok: false as const, message: "HAProxy was not asked about it" });
    if (verdict.ok) usable.push(service);
    else problems.push({ id: service.id, message: `rule not routed, the app falls back to its default path rule: ${verdict.message}` });
    // Written past the API (into ZooKeeper by another tool): the settings are ignored, and said so.
    for (const message of httpsSettingProblems(service.config)) problems.push({ id: service.id, message: `config ${message}; ignored` });
  }
  return { services: usable, problems };
}
