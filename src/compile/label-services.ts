import type { App } from "../marathon/types.ts";
import { checkAgainstPolicy, memoByText, parseAcl, subjectOf, type AclPolicy, type AclRule } from "../routing/acl/index.ts";
import { ignoredLabels, labelRuleOf } from "../routing/lb-labels.ts";
import { makeService, type Service } from "../store/types.ts";
import type { RoutingProblem } from "./problems.ts";

export interface LabelledServices {
  /** The stored services, and a service made from the labels of each app that has no stored rule. */
  readonly services: readonly Service[];
  readonly problems: readonly RoutingProblem[];
}

/**
 * Rules from marathon-lb's labels (routing/lb-labels.ts) become services of their apps, so
 * they route, rank and show like stored rules. A stored rule wins over its app's labels; a
 * label rule the ACL policy forbids, or that claims a host or path another app's rule (stored,
 * or from the labels of an app earlier in id order) already claims, is left out and said, and
 * its app keeps its default rule: the same refusals a rule written through the API gets.
 *
 * Pure but for its memory: the same apps and services give the same answer object, and an
 * app's label service is the same object while its labels are, so later steps skip it.
 */
export class LabelServices {
  #last: { readonly apps: readonly App[]; readonly services: readonly Service[]; readonly result: LabelledServices } | null = null;
  readonly #ofApp = new WeakMap<App, { readonly service: Service | null; readonly problem: string | null; readonly ignored: readonly string[] }>();
  readonly #parse = memoByText(parseAcl);

  constructor(private readonly policy: AclPolicy) {}

  merge(apps: readonly App[], services: readonly Service[]): LabelledServices {
    if (this.#last?.apps === apps && this.#last.services === services) return this.#last.result;
    const result = this.#merge(apps, services);
    this.#last = { apps, services, result };
    return result;
  }

  #merge(apps: readonly App[], services: readonly Service[]): LabelledServices {
    const problems: RoutingProblem[] = [];
    const added: Service[] = [];
    // Worked out once some app has labels to read: most clusters have none, and a task event must not index 10,000 rules.
    let stored: Set<string> | null = null;
    let claims: Map<string, string> | null = null;
    for (const app of apps) {
      const labelled = this.#labelled(app);
      if (labelled.ignored.length > 0) problems.push({ id: app.id, message: `labels ${labelled.ignored.join(", ")} are not read by bamboo: ignored` });
      if (labelled.service === null && labelled.problem === null) continue;
      stored ??= new Set(services.filter((service) => service.acl !== "").map((service) => service.id));
      if (stored.has(app.id)) continue;
      if (labelled.problem !== null) {
        problems.push({ id: app.id, message: `${labelled.problem}; the app is routed by its default rule` });
        continue;
      }
      claims ??= this.#storedClaims(services);
      const service = labelled.service!;
      const keys = claimKeys(this.#parse(service.acl));
      const taken = keys.find((key) => claims!.has(key) && claims!.get(key) !== app.id);
      if (taken !== undefined) {
        problems.push({ id: app.id, message: `the rule its labels give (${service.acl}) claims ${describeKey(taken)}, which ${claims.get(taken)} is routed by; the app is routed by its default rule` });
        continue;
      }
      for (const key of keys) claims.set(key, app.id);
      added.push(service);
    }
    return { services: added.length === 0 ? services : [...services, ...added], problems };
  }

  /** What an app's labels give, worked out once per app object. */
  #labelled(app: App): { readonly service: Service | null; readonly problem: string | null; readonly ignored: readonly string[] } {
    let known = this.#ofApp.get(app);
    if (known) return known;
    const rule = labelRuleOf(app.labels);
    const ignored = ignoredLabels(app.labels);
    if (rule === null) known = { service: null, problem: null, ignored };
    else if (!rule.ok) known = { service: null, problem: rule.message, ignored };
    else {
      const parsed = this.#parse(rule.acl);
      const verdict = parsed.ok ? checkAgainstPolicy(parsed.rule, this.policy) : { ok: false as const, message: parsed.message };
      known = verdict.ok
        ? { service: { ...makeService(app.id, rule.acl), origin: "labels" }, problem: null, ignored }
        : { service: null, problem: `the rule its labels ${rule.from} give (${rule.acl}): ${verdict.message}`, ignored };
    }
    this.#ofApp.set(app, known);
    return known;
  }

  /** The exact hosts, host-and-path prefixes and path prefixes the stored rules claim, by the app claiming each. */
  #storedClaims(services: readonly Service[]): Map<string, string> {
    const claims = new Map<string, string>();
    for (const service of services) {
      if (service.acl === "") continue;
      for (const key of claimKeys(this.#parse(service.acl))) if (!claims.has(key)) claims.set(key, service.id);
    }
    return claims;
  }
}

/** The keys a rule claims outright, in the forms label rules take; a rule of any other form claims none here. */
function claimKeys(parsed: ReturnType<typeof parseAcl>): string[] {
  if (!parsed.ok) return [];
  const rule: AclRule = parsed.rule;
  if (rule.converters.length > 0) return [];
  const subject = subjectOf(rule);
  const fold = (pattern: string) => (subject === "host" || rule.ignoreCase ? pattern.toLowerCase() : pattern);
  if (subject === "host" && rule.method === "str") return rule.patterns.map((pattern) => `host ${fold(pattern)}`);
  if (subject === "path" && rule.method === "beg") return rule.patterns.map((pattern) => `path ${fold(pattern)}`);
  if (subject === "base" && rule.method === "beg") return rule.patterns.map((pattern) => `base ${fold(pattern)}`);
  return [];
}

function describeKey(key: string): string {
  const [kind, value] = [key.slice(0, key.indexOf(" ")), key.slice(key.indexOf(" ") + 1)];
  return kind === "host" ? `the host ${value}` : kind === "path" ? `the path prefix ${value}` : `the host and path prefix ${value}`;
}
