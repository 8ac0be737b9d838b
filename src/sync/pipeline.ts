import type { AclChecker } from "../haproxy/acl-check.ts";
import type { ApplyOutcome } from "../haproxy/apply.ts";
import type { RenderConfig } from "../haproxy/template.ts";
import { toTemplateData, type HAProxyTemplateSettings, type TemplateData } from "../routing/template-data.ts";
import type { Service } from "../store/types.ts";
import type { Logger } from "../system/log.ts";
import type { Snapshot } from "./reconciler.ts";

/** A stored rule that is not routed, and why; shown in the API. */
export interface RuleProblem {
  readonly id: string;
  readonly message: string;
}

/**
 * Snapshot → template data → config text → HAProxy. A stored rule HAProxy rejects (one
 * written into ZooKeeper by another tool, say) falls back to the app's default path rule
 * and is reported: one bad rule never stops every other app's updates.
 */
export class RoutingPipeline {
  #data: TemplateData;
  #problems: readonly RuleProblem[] = [];

  constructor(
    private readonly deps: {
      readonly render: RenderConfig;
      readonly settings: HAProxyTemplateSettings;
      readonly aclChecker: Pick<AclChecker, "check">;
      readonly applier: { apply(config: string, reasons: readonly string[]): Promise<ApplyOutcome> };
      readonly log: Logger;
    },
  ) {
    this.#data = toTemplateData([], [], deps.settings);
  }

  /** The template data of the last snapshot, as `/api/state` shows it. */
  templateData(): TemplateData {
    return this.#data;
  }

  ruleProblems(): readonly RuleProblem[] {
    return this.#problems;
  }

  apply = async (snapshot: Snapshot, reasons: readonly string[]): Promise<ApplyOutcome> => {
    const { services, problems } = await this.#usableServices(snapshot.services);
    for (const problem of problems) {
      if (!this.#problems.some((known) => known.id === problem.id && known.message === problem.message)) {
        this.deps.log.warn("stored rule is not routed; the app falls back to its default path rule", { ...problem });
      }
    }
    this.#problems = problems;
    const data = toTemplateData(snapshot.apps, services, this.deps.settings);
    const config = this.deps.render(data);
    this.#data = data;
    return this.deps.applier.apply(config, reasons);
  };

  async #usableServices(services: readonly Service[]): Promise<{ services: Service[]; problems: RuleProblem[] }> {
    const verdicts = await Promise.all(services.map((service) => (service.acl === "" ? { ok: true as const } : this.deps.aclChecker.check(service.acl))));
    const usable: Service[] = [];
    const problems: RuleProblem[] = [];
    services.forEach((service, index) => {
      const verdict = verdicts[index]!;
      if (verdict.ok) usable.push(service);
      else problems.push({ id: service.id, message: verdict.message });
    });
    return { services: usable, problems };
  }
}
