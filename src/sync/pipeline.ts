import { isFinal, type AclChecker } from "../haproxy/acl-check.ts";
import type { ApplyOutcome, ConfigApplier } from "../haproxy/apply.ts";
import type { RenderConfig } from "../haproxy/template.ts";
import { toTemplateData, type HAProxyTemplateSettings, type TemplateData } from "../routing/template-data.ts";
import type { Service } from "../store/types.ts";
import type { Logger } from "../system/log.ts";
import type { HostResolver } from "./host-resolver.ts";
import { checkAppSettings } from "../routing/app-settings.ts";
import { culpritApps } from "./culprits.ts";
import type { Snapshot } from "./reconciler.ts";

/** A config HAProxy rejects is retried this often, each time without the apps it blamed. */
const MAX_EXCLUSION_ROUNDS = 3;

interface UsableServices {
  readonly services: readonly Service[];
  readonly problems: readonly RoutingProblem[];
}

/** Something stored or reported that is not routed as written, and why; shown in the API. */
export interface RoutingProblem {
  readonly id: string;
  readonly message: string;
}

/**
 * Snapshot → template data → config text → HAProxy. A stored rule HAProxy rejects (one
 * written into ZooKeeper by another tool, say) falls back to the app's default path rule,
 * and a task whose agent does not resolve is left out: both are reported, and neither
 * stops every other app's updates.
 */
export class RoutingPipeline {
  #data: TemplateData;
  #snapshot: Snapshot = { apps: [], services: [] };
  #problems: readonly RoutingProblem[] = [];
  /**
   * The rules last checked and what came of them. The store hands out the same frozen list
   * until a rule changes, and asking the checker about 10,000 cached rules cost ~8 ms per
   * task event.
   */
  #checkedRules: { readonly input: readonly Service[]; readonly result: UsableServices } | null = null;
  #listeners = new Set<() => void>();

  constructor(
    private readonly deps: {
      readonly render: RenderConfig;
      readonly settings: HAProxyTemplateSettings;
      readonly aclChecker: Pick<AclChecker, "checkAll">;
      readonly resolver: Pick<HostResolver, "resolveApps">;
      readonly applier: Pick<ConfigApplier, "apply">;
      readonly log: Logger;
    },
  ) {
    this.#data = toTemplateData([], [], deps.settings);
  }

  /** The template data of the last snapshot, as `/api/state` shows it. */
  templateData(): TemplateData {
    return this.#data;
  }

  /** The last snapshot applied (or attempted). */
  snapshot(): Snapshot {
    return this.#snapshot;
  }

  problems(): readonly RoutingProblem[] {
    return this.#problems;
  }

  /** Called after every apply, whatever its outcome. */
  onApplied(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  apply = async (snapshot: Snapshot, reasons: readonly string[]): Promise<ApplyOutcome> => {
    const { services, problems: ruleProblems } = await this.#usableServices(snapshot.services);
    const resolved = await this.deps.resolver.resolveApps(snapshot.apps);
    const checked = checkAppSettings(resolved.apps);
    const problems: RoutingProblem[] = [...ruleProblems, ...resolved.problems, ...checked.problems];
    let apps = checked.apps;
    this.#snapshot = snapshot;
    try {
      for (let round = 0; ; round++) {
        const data = toTemplateData(apps, services, this.deps.settings);
        this.#data = data;
        const outcome = await this.deps.applier.apply(this.deps.render.pieces(data), reasons);
        if (outcome.kind !== "invalid" || round === MAX_EXCLUSION_ROUNDS) return outcome;
        // HAProxy refused the config: leave out the apps its errors point at, keep the rest moving.
        const culprits = culpritApps(outcome.config, outcome.alerts, data.Apps.map((app) => ({ id: app.Id, escapedId: app.EscapedId })));
        if (culprits.length === 0) return outcome;
        for (const id of culprits) problems.push({ id, message: `app left out: HAProxy rejects the config it produces: ${outcome.message}` });
        apps = apps.filter((app) => !culprits.includes(app.id));
      }
    } finally {
      this.#report(problems);
      for (const listener of this.#listeners) listener();
    }
  };

  #report(problems: RoutingProblem[]): void {
    const key = (problem: RoutingProblem) => `${problem.id}\u0000${problem.message}`;
    const known = new Set(this.#problems.map(key));
    for (const problem of problems) {
      if (!known.has(key(problem))) this.deps.log.warn("not routed as written", { ...problem });
    }
    this.#problems = problems;
  }

  async #usableServices(services: readonly Service[]): Promise<UsableServices> {
    if (this.#checkedRules?.input === services) return this.#checkedRules.result;
    const verdicts = await this.deps.aclChecker.checkAll(services.map((service) => service.acl).filter((acl) => acl !== ""));
    const usable: Service[] = [];
    const problems: RoutingProblem[] = [];
    for (const service of services) {
      const verdict = service.acl === "" ? { ok: true as const } : verdicts.get(service.acl)!;
      if (verdict.ok) usable.push(service);
      else problems.push({ id: service.id, message: `rule not routed, the app falls back to its default path rule: ${verdict.message}` });
    }
    const result = { services: usable, problems };
    this.#checkedRules = [...verdicts.values()].every(isFinal) ? { input: services, result } : null;
    return result;
  }

}
