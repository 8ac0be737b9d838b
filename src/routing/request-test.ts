import { matchesValue, parseAcl, subjectOf, type AclRule } from "./acl/index.ts";
import type { TemplateApp, TemplateData } from "./template-data.ts";

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
  readonly matched: ({ readonly appId: string; readonly acl: string; readonly backend: string } & MatchedVia) | null;
  /** The matched app's routable servers, by "host:port". */
  readonly servers: readonly string[];
  /** Every rule in the order the frontend tests them, up to and including the match. */
  readonly candidates: readonly { readonly appId: string; readonly acl: string; readonly matches: boolean }[];
}

/**
 * Answers "where would this request go, and if it gets a 503, why?" by testing the rules in
 * the frontend's own order (`Routes`), as HAProxy does: the first match wins. Pure.
 */
export function explainRequest(data: TemplateData, request: TestRequest, parse: (acl: string) => ParsedAcl = parseAcl): RequestExplanation {
  const candidates: { appId: string; acl: string; matches: boolean }[] = [];
  for (const app of data.Routes) {
    const parsed = parse(app.Acl);
    const matches = parsed.ok && ruleMatches(parsed.rule, request);
    candidates.push({ appId: app.Id, acl: app.Acl, matches });
    if (matches) return explainMatch(app, viaOf(data, app, parsed.rule, request), candidates);
  }
  return {
    verdict: "no-rule",
    explanation:
      data.Routes.length === 0
        ? "No app is routed yet, so HAProxy answers 503 to every request."
        : `No rule matches host '${request.host}' and path '${request.path}', so HAProxy answers 503.`,
    matched: null,
    servers: [],
    candidates,
  };
}

type ParsedAcl = ReturnType<typeof parseAcl>;

/**
 * {@link explainRequest} with the rules parsed once for as long as they are routed: at
 * 10,000 rules parsing them all took 40-80 ms a test. Only the current routes' rules are
 * kept, so the memory follows the rule set.
 */
export class RequestTester {
  #routes: readonly TemplateApp[] | null = null;
  #parsed = new Map<string, ParsedAcl>();

  explain(data: TemplateData, request: TestRequest): RequestExplanation {
    if (data.Routes !== this.#routes) {
      const previous = this.#parsed;
      this.#parsed = new Map(data.Routes.map((app) => [app.Acl, previous.get(app.Acl) ?? parseAcl(app.Acl)]));
      this.#routes = data.Routes;
    }
    return explainRequest(data, request, (acl) => this.#parsed.get(acl) ?? parseAcl(acl));
  }
}

/**
 * The map entry that answers for this app's matched rule, or the chain. The map's key is the
 * longest of the app's keys there that the rule matches with alone, as HAProxy's `map_beg`
 * takes the longest prefix.
 */
function viaOf(data: TemplateData, app: TemplateApp, rule: AclRule, request: TestRequest): MatchedVia {
  for (const step of data.Frontend) {
    if (step.Map === null) continue;
    const keys = step.Map.Entries.filter((entry) => entry.Id === app.Id && ruleMatches({ ...rule, patterns: [entry.Key] }, request)).map((entry) => entry.Key);
    if (keys.length > 0) return { via: "map", map: step.Map.Name, key: keys.reduce((a, b) => (b.length > a.length ? b : a)) };
  }
  return { via: "chain" };
}

function explainMatch(app: TemplateApp, via: MatchedVia, candidates: RequestExplanation["candidates"]): RequestExplanation {
  const matched = { appId: app.Id, acl: app.Acl, backend: `${app.EscapedId}-cluster`, ...via };
  const servers = app.Tasks.map((task) => `${task.Host}:${task.Port}`);
  const how = via.via === "map" ? ` (key '${via.key}' of ${via.map})` : "";
  const rule = `${RULE_WORDS[app.RuleSource]} '${app.Acl}'${how}`;
  if (app.AllTasks.length === 0) {
    return { verdict: "no-tasks", explanation: `The request matches ${app.Id} by ${rule}, but the app has no tasks in Marathon: HAProxy answers 503.`, matched, servers, candidates };
  }
  if (servers.length === 0) {
    const states = summarise(app);
    return {
      verdict: "no-healthy-server",
      explanation: `The request matches ${app.Id} by ${rule}, but none of its ${app.AllTasks.length} tasks may receive traffic (${states}): HAProxy answers 503.`,
      matched,
      servers,
      candidates,
    };
  }
  return { verdict: "routed", explanation: `The request goes to ${app.Id} by ${rule}, served by ${servers.length} task(s).`, matched, servers, candidates };
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
