import type { App } from "../marathon/types.ts";
import { checkAgainstPolicy, checkHijack, ruleParser, subjectOf, type AclPolicy, type AclRule, type ParseResult, type RuleParser } from "../routing/acl/index.ts";
import { ignoredLabels, labelRuleOf } from "../routing/lb-labels.ts";
import { portRouteRankId, portRoutesOf, type PortRoute } from "../routing/port-routes.ts";
import { placementOf } from "../routing/route-maps.ts";
import { makeService, type Service } from "../store/types.ts";
import type { RoutingProblem } from "./problems.ts";
import { AppMemo } from "../marathon/app-memo.ts";
import { NONE } from "../system/none.ts";

export interface LabelledServices {
  /** The stored services, and a service made from the labels of each app that has no stored rule. */
  readonly services: readonly Service[];
  /** Ports after the first routed by their labels, by app id: the same object while they are the same. */
  readonly portRoutes: ReadonlyMap<string, readonly PortRoute[]>;
  readonly problems: readonly RoutingProblem[];
}

/** What an app's labels give, worked out once per app object. */
interface Labelled {
  readonly service: Service | null;
  readonly problem: string | null;
  readonly ignored: readonly string[];
  /** Routes of later ports that pass the policy, and what is wrong with the others. */
  readonly portRoutes: readonly PortRoute[];
  readonly portProblems: readonly string[];
}

const NO_PORT_ROUTES: ReadonlyMap<string, readonly PortRoute[]> = new Map();

/** What the labels of nearly every app give: one object for all of them, not one kept per app. */
const NOTHING_LABELLED: Labelled = Object.freeze({ service: null, problem: null, ignored: NONE, portRoutes: NONE, portProblems: NONE });

/**
 * Rules from marathon-lb's labels (routing/lb-labels.ts) become services of their apps, so
 * they route, rank and show like stored rules. A stored rule wins over its app's labels; a
 * label rule that would take every app's traffic (`HAPROXY_0_PATH=/`), that the ACL policy
 * forbids, or that claims a host or path another app's rule (stored,
 * or from the labels of an app earlier in id order) already claims, is left out and said, and
 * its app keeps its default rule: the same refusals a rule written through the API gets.
 * Routes of later ports (`HAPROXY_{n}_VHOST`, routing/port-routes.ts) pass the same checks,
 * after every port 0 rule, in app id and port order.
 *
 * Pure but for its memory: the same apps and services give the same answer object, and an
 * app's label service is the same object while its labels are, so later steps skip it.
 */
export class LabelServices {
  #last: { readonly apps: readonly App[]; readonly services: readonly Service[]; readonly result: LabelledServices } | null = null;
  readonly #ofApp = new AppMemo<Labelled>();

  /**
   * @param routesPorts - whether the template renders backends for ports after the first
   *   (one that serves service ports does); without them later ports cannot be routed.
   * @param parse - the appliance's rule parser, shared with the other readers of the rules.
   */
  constructor(
    private readonly policy: AclPolicy,
    private readonly routesPorts: boolean,
    private readonly parse: RuleParser = ruleParser(),
  ) {}

  merge(apps: readonly App[], services: readonly Service[]): LabelledServices {
    if (this.#last?.apps === apps && this.#last.services === services) return this.#last.result;
    const result = this.#merge(apps, services);
    this.#ofApp.keepOnly(apps);
    this.#last = { apps, services, result };
    return result;
  }

  #merge(apps: readonly App[], services: readonly Service[]): LabelledServices {
    const problems: RoutingProblem[] = [];
    const added: Service[] = [];
    const portRouted: { readonly app: App; readonly labelled: Labelled }[] = [];
    // Worked out once some app has labels to read: most clusters have none, and a task event must not index 10,000 rules.
    let stored: Set<string> | null = null;
    let claims: Map<string, string> | null = null;
    for (const app of apps) {
      const labelled = this.#labelled(app);
      if (labelled.ignored.length > 0) problems.push({ id: app.id, message: `labels ${labelled.ignored.join(", ")} are not read by bamboo: ignored` });
      for (const message of labelled.portProblems) problems.push({ id: app.id, message });
      if (labelled.portRoutes.length > 0) portRouted.push({ app, labelled });
      if (labelled.service === null && labelled.problem === null) continue;
      stored ??= new Set(services.filter((service) => service.acl !== "").map((service) => service.id));
      if (stored.has(app.id)) continue;
      if (labelled.problem !== null) {
        problems.push({ id: app.id, message: `${labelled.problem}; the app is routed by its default rule` });
        continue;
      }
      claims ??= this.#storedClaims(services);
      const service = labelled.service!;
      const taken = this.#claim(claims, [service.acl], app.id);
      if (taken !== null) {
        problems.push({ id: app.id, message: `the rule its labels give (${service.acl}) claims ${describeKey(taken.key)}, which ${taken.owner} is routed by; the app is routed by its default rule` });
        continue;
      }
      added.push(service);
    }
    const portRoutes = new Map<string, readonly PortRoute[]>();
    for (const { app, labelled } of portRouted) {
      claims ??= this.#storedClaims(services);
      const kept: PortRoute[] = [];
      for (const route of labelled.portRoutes) {
        const taken = this.#claim(claims, route.parts, portRouteRankId(route));
        if (taken === null) kept.push(route);
        else problems.push({ id: app.id, message: `port ${route.index}'s rule from ${route.from} (${route.acl}) claims ${describeKey(taken.key)}, which ${taken.owner} is routed by; port ${route.index} is not routed on the HTTP frontend` });
      }
      if (kept.length > 0) portRoutes.set(app.id, kept);
    }
    return { services: added.length === 0 ? services : [...services, ...added], portRoutes: this.#samePortRoutes(portRoutes), problems };
  }

  /** Claims the keys of `acls` for `owner`, unless another owner has one: then that key and its owner. */
  #claim(claims: Map<string, string>, acls: readonly string[], owner: string): { readonly key: string; readonly owner: string } | null {
    const keys = acls.flatMap((acl) => claimKeys(this.parse(acl)));
    const taken = keys.find((key) => claims.has(key) && claims.get(key) !== owner);
    if (taken !== undefined) return { key: taken, owner: claims.get(taken)! };
    for (const key of keys) claims.set(key, owner);
    return null;
  }

  /** Last compile's port routes where they are the same: a task event gives apps new objects, not new routes. */
  #samePortRoutes(routes: Map<string, readonly PortRoute[]>): ReadonlyMap<string, readonly PortRoute[]> {
    if (routes.size === 0) return NO_PORT_ROUTES;
    const before = this.#last?.result.portRoutes ?? NO_PORT_ROUTES;
    let same = before.size === routes.size;
    for (const [id, ofApp] of routes) {
      const was = before.get(id);
      if (was !== undefined && Bun.deepEquals(was, ofApp)) routes.set(id, was);
      else same = false;
    }
    return same ? before : routes;
  }

  /** What an app's labels give, worked out once per app object. */
  #labelled(app: App): Labelled {
    let known = this.#ofApp.get(app);
    if (known) return known;
    const rule = labelRuleOf(app.labels);
    const ignored = ignoredLabels(app.labels);
    const ports = this.#portRoutes(app);
    if (rule === null) known = ignored.length === 0 && ports.portRoutes.length === 0 && ports.portProblems.length === 0 ? NOTHING_LABELLED : { service: null, problem: null, ignored, ...ports };
    else if (!rule.ok) known = { service: null, problem: rule.message, ignored, ...ports };
    else {
      const verdict = this.#allowed(rule.acl);
      known = verdict === null
        ? { service: { ...makeService(app.id, rule.acl), origin: "labels" }, problem: null, ignored, ...ports }
        : { service: null, problem: `the rule its labels ${rule.from} give (${rule.acl}): ${verdict}`, ignored, ...ports };
    }
    this.#ofApp.set(app, known);
    return known;
  }

  /** The routes of the app's later ports that the policy allows, and what keeps the others from routing. */
  #portRoutes(app: App): Pick<Labelled, "portRoutes" | "portProblems"> {
    const { routes, problems } = portRoutesOf(app);
    if (routes.length === 0) return { portRoutes: routes, portProblems: problems };
    if (!this.routesPorts) {
      const why = "the template renders no backend for ports after the first (it names neither ServicePorts nor a port's Binds)";
      return { portRoutes: [], portProblems: [...problems, ...routes.map((route) => `port ${route.index}'s rule from ${route.from} not routed: ${why}`)] };
    }
    const allowed: PortRoute[] = [];
    const portProblems = [...problems];
    for (const route of routes) {
      // The frontend routes a port by map lookups alone (template-data.ts): a part no map holds is refused, not chained.
      const refusal = route.parts.map((part) => this.#allowed(part) ?? this.#unmapped(part)).find((verdict) => verdict !== null);
      if (refusal === undefined) allowed.push(route);
      else portProblems.push(`port ${route.index}'s rule from ${route.from} (${route.acl}): ${refusal}; the port is not routed on the HTTP frontend`);
    }
    return { portRoutes: allowed, portProblems };
  }

  /** Null when a map holds the rule's keys; otherwise why not. */
  #unmapped(acl: string): string | null {
    const parsed = this.parse(acl);
    return parsed.ok && placementOf(parsed.rule).map !== null ? null : "no map of the frontend can hold it";
  }

  /** Null when the rule may route as a rule written through the API may: it takes no one's traffic and the policy allows it. */
  #allowed(acl: string): string | null {
    const parsed = this.parse(acl);
    if (!parsed.ok) return parsed.message;
    const hijack = checkHijack(parsed.rule);
    if (!hijack.ok) return `it would take other apps' traffic: ${hijack.message}`;
    const verdict = checkAgainstPolicy(parsed.rule, this.policy);
    return verdict.ok ? null : verdict.message;
  }

  /** The exact hosts, host-and-path prefixes and path prefixes the stored rules claim, by the app claiming each. */
  #storedClaims(services: readonly Service[]): Map<string, string> {
    const claims = new Map<string, string>();
    for (const service of services) {
      if (service.acl === "") continue;
      for (const key of claimKeys(this.parse(service.acl))) if (!claims.has(key)) claims.set(key, service.id);
    }
    return claims;
  }
}

/** The keys a rule claims outright, in the forms label rules take; a rule of any other form claims none here. */
function claimKeys(parsed: ParseResult): string[] {
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
