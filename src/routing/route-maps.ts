import { mapKeyProblem, parseAcl, precedenceKey, renderAcl, subjectOf, type AclRule, type PrecedenceKey, type RuleParser } from "./acl/index.ts";
import { NONE } from "../system/none.ts";

/**
 * Which rules the frontend can find with one map lookup instead of testing them one by one.
 * HAProxy walks a chain of `acl` + `use_backend` lines for every request (1.66k req/s for
 * the 5,000th host against 39k for the first, issue 16); a tree-indexed map finds an exact
 * key or the longest prefix in log time.
 *
 * The chain's order is the contract (precedence.ts): rank first, then the longer pattern,
 * then the app id. A lookup reproduces that order for consecutive rules of one rank that are
 * all keys of the same map: an exact map has at most one matching key, a prefix
 * map answers the longest, and a key two rules share goes to the one the chain tests first.
 * So the first five ranks are served by lookups (see {@link routeSteps}); every later rank
 * stays in the chain, after the lookups, as before.
 *
 * @module
 */

/** One lookup: what is looked up, how, and the map file's name (template-data.ts places it in the map directory). */
export interface MapSpec {
  /** File name inside the map directory. */
  readonly name: string;
  /** The rank (precedence.ts) the map serves. */
  readonly rank: number;
  /** HAProxy sample expression whose value is the key, case-folded when the map is. */
  readonly sample: string;
  /** `map_str` (exact key) or `map_beg` (longest prefix): both tree-indexed. */
  readonly converter: "map_str" | "map_beg";
  /** Keys and samples are lower-cased: never `-i`, which would turn the tree into a list. */
  readonly folded: boolean;
}

const MAPS: readonly MapSpec[] = [
  { name: "host-path.map", rank: 0, sample: "base,lower", converter: "map_str", folded: true },
  { name: "host-path-case.map", rank: 0, sample: "base", converter: "map_str", folded: false },
  { name: "host-path-prefix.map", rank: 1, sample: "base,lower", converter: "map_beg", folded: true },
  { name: "host-path-prefix-case.map", rank: 1, sample: "base", converter: "map_beg", folded: false },
  // Host rules match whatever the case (request-test.ts does the same), so one folded map.
  { name: "host.map", rank: 2, sample: "req.hdr(host),lower", converter: "map_str", folded: true },
  { name: "path.map", rank: 3, sample: "path,lower", converter: "map_str", folded: true },
  { name: "path-case.map", rank: 3, sample: "path", converter: "map_str", folded: false },
  { name: "path-prefix.map", rank: 4, sample: "path,lower", converter: "map_beg", folded: true },
  { name: "path-prefix-case.map", rank: 4, sample: "path", converter: "map_beg", folded: false },
];

/** The ranks a map can serve, in the chain's order; later ranks are always chained. */
const MAPPED_RANKS: readonly number[] = [0, 1, 2, 3, 4];

/** A rule the frontend routes, in the chain's order: its parsed form, null when unreadable. */
export interface OrderedRule {
  readonly rule: AclRule | null;
}

export interface MapEntry {
  readonly key: string;
  /** Index of the rule (in the ordered input) the key routes to. */
  readonly route: number;
}

/** One step of the frontend, in order: a map lookup, or chain lines for these rules. */
export type RouteStep = { readonly kind: "map"; readonly map: MapSpec; readonly entries: readonly MapEntry[] } | { readonly kind: "chain"; readonly routes: readonly number[] };

/**
 * The frontend's steps for rules already in precedence order (template-data.ts `Routes`).
 * Within a mapped rank, each run of consecutive rules that fit one map is one lookup, and a
 * rule that fits none is a chain line between the runs, so the order holds whatever mix a
 * rank has; the usual rank (every rule fits) is one lookup. A mapped rank with no rules
 * still has its lookup, so adding its first rule changes the map, not the config's text. Pure.
 *
 * @example routeSteps([{ rule: parseAcl("hdr(host) -i a.com").rule }]) // host.map has a.com → 0
 */
export function routeSteps(rules: readonly OrderedRule[], place: (rule: AclRule) => Placement = placementOf): RouteStep[] {
  const byRank = new Map<number, number[]>();
  const rest: number[] = [];
  const places = rules.map((entry) => (entry.rule === null ? null : place(entry.rule)));
  places.forEach((placement, index) => {
    const rank = placement === null ? null : placement.precedence.rank;
    if (rank === null || !MAPPED_RANKS.includes(rank)) rest.push(index);
    else {
      const indices = byRank.get(rank);
      if (indices === undefined) byRank.set(rank, [index]);
      else indices.push(index);
    }
  });
  const steps: RouteStep[] = [];
  const uses = new Map<string, number>();
  for (const rank of MAPPED_RANKS) {
    for (const run of runsOf(rank, byRank.get(rank) ?? [], places)) {
      if (run.map === null) {
        steps.push({ kind: "chain", routes: run.indices });
        continue;
      }
      const use = (uses.get(run.map.name) ?? 0) + 1;
      uses.set(run.map.name, use);
      const map = use === 1 ? run.map : { ...run.map, name: run.map.name.replace(/\.map$/, `.${use}.map`) };
      steps.push({ kind: "map", map, entries: entriesOf(run.indices, places) });
    }
  }
  if (rest.length > 0) steps.push({ kind: "chain", routes: rest });
  return steps;
}

/** Where the frontend finds a rule: its precedence (precedence.ts) and the map that serves it, null when none does. */
export interface Placement {
  readonly precedence: PrecedenceKey;
  readonly map: MapSpec | null;
  /** The rule's keys in that map (lower-cased for a folded map); none without a map. */
  readonly keys: readonly string[];
}

/**
 * A rule's placement; a rule fits at most one map (the rank and the case folding decide
 * which). Pure, so its answers can be kept by rule (template-data.ts does).
 */
export function placementOf(rule: AclRule): Placement {
  const precedence = precedenceKey(rule);
  const map = MAPS.find((candidate) => fits(rule, precedence.rank, candidate)) ?? null;
  return { precedence, map, keys: map === null ? NONE : map.folded ? lowerCased(rule.patterns) : rule.patterns };
}

/** The patterns lower-cased: the same array when they are already, as host names nearly always are (placements are kept by the thousand). */
function lowerCased(patterns: readonly string[]): readonly string[] {
  const lowered = patterns.map((pattern) => pattern.toLowerCase());
  return lowered.every((key, i) => key === patterns[i]) ? patterns : lowered;
}

/** A rank's rules cut into runs served by one map each (null: chain lines). */
function runsOf(rank: number, indices: readonly number[], places: readonly (Placement | null)[]): { map: MapSpec | null; indices: number[] }[] {
  if (indices.length === 0) return [{ map: MAPS.find((map) => map.rank === rank && map.folded)!, indices: [] }];
  const runs: { map: MapSpec | null; indices: number[] }[] = [];
  for (const index of indices) {
    const map = places[index]!.map;
    const last = runs[runs.length - 1];
    if (last !== undefined && last.map === map) last.indices.push(index);
    else runs.push({ map, indices: [index] });
  }
  return runs;
}

/**
 * Whether a rule of this rank (precedence.ts) is exactly "the sample equals (or starts with)
 * one of these keys" for this map. The rank comes in computed: placing a rule tries every map.
 */
function fits(rule: AclRule, rank: number, map: MapSpec): boolean {
  if (rule.converters.length > 0 || rule.occurrence !== null || rule.patterns.length === 0) return false;
  if (rank !== map.rank) return false;
  const method = map.converter === "map_str" ? "str" : "beg";
  if (rule.method !== method) return false;
  // The chain places a rule of several prefixes by its shortest; a prefix map would place each by its own length.
  if (method === "beg" && rule.patterns.length > 1) return false;
  const subject = subjectOf(rule);
  const folded = subject === "host" || rule.ignoreCase;
  if (folded !== map.folded) return false;
  return rule.patterns.every((pattern) => mapKeyProblem(pattern) === null);
}

/** Characters that mean nothing to HAProxy's config parser (no quotes, escapes, variables, comments or blanks). */
const INERT_PATTERN = /^[A-Za-z0-9._~:/?&=+,;@!*%-]+$/;

/**
 * Whether `acl` is the canonical text (render.ts) of a rule a map serves, every pattern in
 * inert characters: a rule bamboo reads completely, which HAProxy accepts whatever the keys
 * (test/haproxy/plain-key-rules.test.ts checks random ones against the binary). Asking
 * HAProxy about one costs a rule write a `haproxy -c` run, ~50 ms. `parse`: the appliance's
 * shared parser, so the rules read at start are parsed once for this and the compile.
 */
export function isPlainKeyRule(acl: string, parse: RuleParser = parseAcl): boolean {
  const parsed = parse(acl);
  if (!parsed.ok || renderAcl(parsed.rule) !== acl) return false;
  return parsed.rule.patterns.every((pattern) => INERT_PATTERN.test(pattern) && !pattern.startsWith("-")) && placementOf(parsed.rule).map !== null;
}

function entriesOf(indices: readonly number[], places: readonly (Placement | null)[]): MapEntry[] {
  const entries: MapEntry[] = [];
  const seen = new Set<string>();
  for (const index of indices) {
    // Keys kept with the rule's placement: strings made once hash once, not at every write.
    for (const key of places[index]!.keys) {
      // The chain tests this rule first: a later rule with the same key would never be reached.
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push({ key, route: index });
    }
  }
  return entries;
}
