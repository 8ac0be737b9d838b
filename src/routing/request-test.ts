import { compareByPrecedence, matchesValue, orderByPrecedence, parseAcl, subjectOf, type AclRule } from "./acl/index.ts";
import { portRouteRankId } from "./port-routes.ts";
import { laterRoutedPorts, type TemplateApp, type TemplateData, type TemplatePort } from "./template-data.ts";

/** A request as the tester describes it. */
export interface TestRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly host: string;
  /** Header names lower-cased. */
  readonly headers: ReadonlyMap<string, string>;
  readonly method: string;
}

export type Verdict = "routed" | "no-rule" | "no-healthy-server" | "no-tasks";

/** How the frontend finds the matched rule: a map entry (file name and key), or a chain line. */
export type MatchedVia = { readonly via: "map"; readonly map: string; readonly key: string } | { readonly via: "chain" };

export interface RequestExplanation {
  readonly verdict: Verdict;
  readonly explanation: string;
  /** `port`: the app's port the rule routes to, 0 for the app's own rule. */
  readonly matched: ({ readonly appId: string; readonly port: number; readonly acl: string; readonly backend: string } & MatchedVia) | null;
  /** The matched port's routable servers, by "host:port". */
  readonly servers: readonly string[];
  /** Every rule in the order the frontend tests them, up to and including the match. */
  readonly candidates: readonly Candidate[];
}

export interface Candidate {
  readonly appId: string;
  readonly port: number;
  readonly acl: string;
  readonly matches: boolean;
}

/**
 * A later port routed by its labels (template-data.ts `Ports[].Acl`), one pattern at a time:
 * the frontend holds each pattern as a map key of its own (port-routes.ts).
 */
interface PortRouteRule {
  readonly app: TemplateApp;
  readonly port: TemplatePort;
  readonly rankId: string;
  readonly rule: AclRule;
}

/**
 * Answers "where would this request go, and if it gets a 503, why?" by testing the rules in
 * the frontend's own order (`Routes`, and the later ports' routes ranked among them), as
 * HAProxy does: the first match wins. Pure.
 */
export function explainRequest(
  data: TemplateData,
  request: TestRequest,
  parse: (acl: string) => ParsedAcl = parseAcl,
  portRules: readonly PortRouteRule[] = portRouteRulesOf(data, parse),
): RequestExplanation {
  const candidates: Candidate[] = [];
  // The later ports' rules in their own order: the first that matches is the best of them.
  const portMatch = portRules.find((entry) => ruleMatches(entry.rule, request));
  const portComesFirst = (id: string, rule: AclRule) => portMatch !== undefined && compareByPrecedence({ id: portMatch.rankId, rule: portMatch.rule }, { id, rule }) < 0;
  const portAnswer = (): RequestExplanation => {
    const { app, port, rule } = portMatch!;
    candidates.push({ appId: app.Id, port: port.Index, acl: port.Acl, matches: true });
    return explainPortMatch(app, port, viaOf(data, port.Backend, rule, request), candidates);
  };
  for (const app of data.Routes) {
    const parsed = parse(app.Acl);
    if (parsed.ok && portComesFirst(app.Id, parsed.rule)) return portAnswer();
    const matches = parsed.ok && ruleMatches(parsed.rule, request);
    candidates.push({ appId: app.Id, port: 0, acl: app.Acl, matches });
    if (matches) return explainMatch(app, viaOf(data, `${app.EscapedId}-cluster`, parsed.rule, request), candidates);
  }
  if (portMatch !== undefined) return portAnswer();
  return {
    verdict: "no-rule",
    explanation:
      data.Routes.length === 0 && portRules.length === 0
        ? "No app is routed yet, so HAProxy answers 503 to every request."
        : `No rule matches host '${request.host}' and path '${request.path}', so HAProxy answers 503.`,
    matched: null,
    servers: [],
    candidates,
  };
}

type ParsedAcl = ReturnType<typeof parseAcl>;

/** The later ports' routes, a rule per pattern, most specific first. */
function portRouteRulesOf(data: TemplateData, parse: (acl: string) => ParsedAcl): PortRouteRule[] {
  const rules: PortRouteRule[] = [];
  for (const app of data.Apps) {
    for (const port of laterRoutedPorts(app)) {
      const parsed = parse(port.Acl);
      if (!parsed.ok) continue;
      const rankId = portRouteRankId({ id: app.Id, index: port.Index });
      for (const pattern of parsed.rule.patterns) rules.push({ app, port, rankId, rule: { ...parsed.rule, patterns: [pattern] } });
    }
  }
  return orderByPrecedence(rules.map((entry) => ({ ...entry, id: entry.rankId })));
}

/**
 * {@link explainRequest} with the rules parsed once for as long as they are routed: at
 * 10,000 rules parsing them all took 40-80 ms a test. Only the current routes' rules are
 * kept, so the memory follows the rule set.
 */
export class RequestTester {
  #routes: readonly TemplateApp[] | null = null;
  #apps: readonly TemplateApp[] | null = null;
  #parsed = new Map<string, ParsedAcl>();
  #portRules: readonly PortRouteRule[] = [];

  explain(data: TemplateData, request: TestRequest): RequestExplanation {
    if (data.Routes !== this.#routes) {
      const previous = this.#parsed;
      this.#parsed = new Map(data.Routes.map((app) => [app.Acl, previous.get(app.Acl) ?? parseAcl(app.Acl)]));
      this.#routes = data.Routes;
    }
    const parse = (acl: string) => this.#parsed.get(acl) ?? parseAcl(acl);
    if (data.Apps !== this.#apps) {
      this.#portRules = portRouteRulesOf(data, parse);
      this.#apps = data.Apps;
    }
    return explainRequest(data, request, parse, this.#portRules);
  }
}

/**
 * The map entry that answers for the matched rule, or the chain. The map's key is the
 * longest of the backend's keys there that the rule matches with alone, as HAProxy's
 * `map_beg` takes the longest prefix.
 */
function viaOf(data: TemplateData, backend: string, rule: AclRule, request: TestRequest): MatchedVia {
  for (const step of data.Frontend) {
    if (step.Map === null) continue;
    const keys = step.Map.Entries.filter((entry) => entry.Value === backend && ruleMatches({ ...rule, patterns: [entry.Key] }, request)).map((entry) => entry.Key);
    if (keys.length > 0) return { via: "map", map: step.Map.Name, key: keys.reduce((a, b) => (b.length > a.length ? b : a)) };
  }
  return { via: "chain" };
}

function explainMatch(app: TemplateApp, via: MatchedVia, candidates: RequestExplanation["candidates"]): RequestExplanation {
  const matched = { appId: app.Id, port: 0, acl: app.Acl, backend: `${app.EscapedId}-cluster`, ...via };
  const servers = app.Tasks.map((task) => `${task.Host}:${task.Port}`);
  const how = via.via === "map" ? ` (key '${via.key}' of ${via.map})` : "";
  const rule = `${RULE_WORDS[app.RuleSource]} '${app.Acl}'${how}`;
  return explainServed(app, app.Id, rule, matched, servers, candidates);
}

function explainPortMatch(app: TemplateApp, port: TemplatePort, via: MatchedVia, candidates: RequestExplanation["candidates"]): RequestExplanation {
  const matched = { appId: app.Id, port: port.Index, acl: port.Acl, backend: port.Backend, ...via };
  const servers = port.Servers.map((server) => `${server.Host}:${server.Port}`);
  const how = via.via === "map" ? ` (key '${via.key}' of ${via.map})` : "";
  return explainServed(app, `port ${port.Index} of ${app.Id}`, `the rule its labels HAPROXY_${port.Index}_VHOST/PATH give '${port.Acl}'${how}`, matched, servers, candidates);
}

function explainServed(app: TemplateApp, what: string, rule: string, matched: NonNullable<RequestExplanation["matched"]>, servers: readonly string[], candidates: RequestExplanation["candidates"]): RequestExplanation {
  if (app.AllTasks.length === 0) {
    return { verdict: "no-tasks", explanation: `The request matches ${what} by ${rule}, but the app has no tasks in Marathon: HAProxy answers 503.`, matched, servers, candidates };
  }
  if (servers.length === 0) {
    const states = summarise(app);
    return {
      verdict: "no-healthy-server",
      explanation: `The request matches ${what} by ${rule}, but none of its ${app.AllTasks.length} tasks may receive traffic (${states}): HAProxy answers 503.`,
      matched,
      servers,
      candidates,
    };
  }
  return { verdict: "routed", explanation: `The request goes to ${what} by ${rule}, served by ${servers.length} task(s).`, matched, servers, candidates };
}

function summarise(app: TemplateApp): string {
  const reasons = app.AllTasks.map((task) => (task.State !== "TASK_RUNNING" ? task.State : !task.Alive ? "failing health checks" : !task.Ready ? "not ready" : "no port"));
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => `${count} ${reason}`).join(", ");
}

function ruleMatches(rule: AclRule, request: TestRequest): boolean {
  const subject = subjectOf(rule);
  const value = (() => {
    switch (subject) {
      case "host":
        return request.host;
      case "header":
        return request.headers.get(rule.name ?? "");
      case "path":
        return request.path;
      case "base":
        return `${request.host}${request.path}`;
      case "param":
        return request.query.get(rule.name ?? "") ?? undefined;
      case "method":
        return request.method;
      case "src":
        return "127.0.0.1";
      case "constant":
        return "";
    }
  })();
  return matchesValue(rule, value, { foldCase: subject === "host", hostDomains: subject === "host" });
}

const RULE_WORDS: Readonly<Record<TemplateApp["RuleSource"], string>> = { service: "its rule", labels: "the rule its labels give", default: "its default rule" };
