import { isFinal, type AclChecker } from "../haproxy/acl-check.ts";
import { agentHostNames } from "../compile/agent-addresses.ts";
import type { OutsideAnswers } from "../compile/compiler.ts";
import type { App } from "../marathon/types.ts";
import type { Service } from "../store/types.ts";
import type { HostResolver } from "./host-resolver.ts";

/** Asks what compiling needs to know of the world: HAProxy about the stored rules, DNS about the agents. */
export class OutsideAnswerSource {
  /**
   * The rules last asked about and HAProxy's verdicts. The store hands out the same frozen
   * list until a rule changes, and asking the checker about 10,000 cached rules cost ~8 ms
   * per task event.
   */
  #rules: { readonly services: readonly Service[]; readonly verdicts: OutsideAnswers["rules"] } | null = null;
  /** The agents' names of the apps last asked about: a rule write hands over the same apps. */
  #hosts: { readonly apps: readonly App[]; readonly names: ReadonlySet<string> } | null = null;

  constructor(
    private readonly deps: {
      readonly aclChecker: Pick<AclChecker, "checkAll">;
      readonly resolver: Pick<HostResolver, "lookupAll">;
    },
  ) {}

  async answersFor(snapshot: { readonly apps: readonly App[]; readonly services: readonly Service[] }): Promise<OutsideAnswers> {
    const [rules, hosts] = await Promise.all([this.#verdicts(snapshot.services), this.deps.resolver.lookupAll(this.#hostNames(snapshot.apps))]);
    return { hosts, rules };
  }

  #hostNames(apps: readonly App[]): ReadonlySet<string> {
    if (this.#hosts?.apps !== apps) this.#hosts = { apps, names: agentHostNames(apps) };
    return this.#hosts.names;
  }

  async #verdicts(services: readonly Service[]): Promise<OutsideAnswers["rules"]> {
    if (this.#rules?.services === services) return this.#rules.verdicts;
    const verdicts = await this.deps.aclChecker.checkAll(services.map((service) => service.acl).filter((acl) => acl !== ""));
    // "HAProxy could not be run" is no verdict: ask again next time.
    this.#rules = [...verdicts.values()].every(isFinal) ? { services, verdicts } : null;
    return verdicts;
  }
}
