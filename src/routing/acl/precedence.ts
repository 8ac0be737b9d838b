import { subjectOf, type AclRule } from "./model.ts";

/**
 * Where a rule goes in the frontend's `use_backend` chain when overlapping rules are allowed.
 * HAProxy takes the first rule that matches, so the most specific rules must come first.
 *
 * Order (rank, first wins):
 * 0. exact host and path (`base ghost.local/api`)
 * 1. exact host with a path prefix (`base_beg`, `base_dir`), longer first
 * 2. exact host (`hdr(host)`, `hdr_dir(host)`)
 * 3. exact path (`path /health`)
 * 4. path prefix (`path_beg`, `path_dir`, Bamboo's default `path_beg -i /<app id>`), longer first
 * 5. host suffix, domain or prefix (`hdr_end(host) -i .example.com`, `hdr_dom`, `hdr_beg`, `hdr_sub`), longer first
 * 6. other path or host-and-path matches (`path_end .json`, `path_sub`, `base_end`...), longer first
 * 7. header and URL parameter values, then their presence (`-m found`)
 * 8. method and client address
 * 9. regexes and length matches on anything (their reach cannot be measured)
 *
 * Ties go to the longer pattern, then to the app id in code-unit order, so the chain never
 * depends on the order services were stored or listed. A rule with several patterns is placed
 * by its least specific pattern: it would catch that broad traffic wherever it stood, so it
 * must not stand before narrower rules of other apps.
 */
export interface PrecedenceKey {
  readonly rank: number;
  /** A name for the rank, for status pages and logs. */
  readonly rankName: string;
  /** Within a rank, larger is more specific (pattern length, network prefix length). */
  readonly specificity: number;
}

const RANK_NAMES = [
  "exact host and path",
  "host and path prefix",
  "exact host",
  "exact path",
  "path prefix",
  "host suffix or domain",
  "other path match",
  "header or parameter",
  "method or client address",
  "regex or length",
] as const;

/** The precedence key of one rule; see {@link PrecedenceKey} for the order. */
export function precedenceKey(rule: AclRule): PrecedenceKey {
  const patterns = rule.patterns.length === 0 ? [""] : rule.patterns;
  let worst: PrecedenceKey | null = null;
  for (const pattern of patterns) {
    const rank = rankOf(rule);
    const key = { rank, rankName: RANK_NAMES[rank], specificity: specificityOf(rule, pattern) };
    if (worst === null || key.rank > worst.rank || (key.rank === worst.rank && key.specificity < worst.specificity)) worst = key;
  }
  return worst!;
}

function rankOf(rule: AclRule): number {
  if (rule.method === "reg" || rule.method === "len") return 9;
  switch (subjectOf(rule)) {
    case "base":
      return rule.method === "str" ? 0 : rule.method === "beg" || rule.method === "dir" ? 1 : 6;
    case "host":
      return rule.method === "str" || rule.method === "dir" ? 2 : 5;
    case "path":
      return rule.method === "str" ? 3 : rule.method === "beg" || rule.method === "dir" ? 4 : 6;
    case "header":
    case "param":
      return 7;
    case "method":
    case "src":
      return 8;
    case "constant":
      return 9;
  }
}

function specificityOf(rule: AclRule, pattern: string): number {
  if (rule.method === "found") return 0;
  if (rule.method === "ip") {
    const bits = pattern.split("/")[1];
    return bits === undefined ? (pattern.includes(":") ? 128 : 32) : Number(bits);
  }
  // A header value is more specific than the header's mere presence (specificity 0).
  return pattern.length + 1;
}

/** An app's rule, as the frontend chain needs it. */
export interface RankedRule {
  readonly id: string;
  readonly rule: AclRule;
}

/** Sort comparator: negative when `a` must come before `b` in the `use_backend` chain. */
export function compareByPrecedence(a: RankedRule, b: RankedRule): number {
  return compareKeyed({ id: a.id, key: precedenceKey(a.rule) }, { id: b.id, key: precedenceKey(b.rule) });
}

function compareKeyed(a: { readonly id: string; readonly key: PrecedenceKey }, b: { readonly id: string; readonly key: PrecedenceKey }): number {
  if (a.key.rank !== b.key.rank) return a.key.rank - b.key.rank;
  if (a.key.specificity !== b.key.specificity) return b.key.specificity - a.key.specificity;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Apps' rules in the order the frontend should test them: most specific first. Returns a new
 * array; the input is not changed.
 *
 * @example orderByPrecedence([{ id: "/site", rule: hostSuffix }, { id: "/blog", rule: exactHost }]) // blog first
 */
export function orderByPrecedence<T extends RankedRule>(entries: readonly T[], keyOf: (rule: AclRule) => PrecedenceKey = precedenceKey): T[] {
  // One key per rule rather than two per comparison: 10,000 rules are ranked at every rule write.
  const keyed = entries.map((entry) => ({ entry, id: entry.id, key: keyOf(entry.rule) }));
  return keyed.sort(compareKeyed).map((keyedEntry) => keyedEntry.entry);
}

/**
 * {@link orderByPrecedence} of `ordered` without the entries `drop` picks, plus `added`: the
 * same order, since ids are unique and the order is total, at the cost of a copy and a binary
 * search per added entry instead of a sort. A rule write re-ranks one rule of 10,000 this way.
 *
 * @param ordered - entries already in precedence order (as orderByPrecedence returned them).
 */
export function reorderByPrecedence<T extends RankedRule>(
  ordered: readonly T[],
  drop: (entry: T) => boolean,
  added: readonly T[],
  keyOf: (rule: AclRule) => PrecedenceKey = precedenceKey,
): T[] {
  const result = ordered.filter((entry) => !drop(entry));
  for (const entry of added) {
    const keyed = { id: entry.id, key: keyOf(entry.rule) };
    let [low, high] = [0, result.length];
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = result[middle]!;
      if (compareKeyed({ id: other.id, key: keyOf(other.rule) }, keyed) < 0) low = middle + 1;
      else high = middle;
    }
    result.splice(low, 0, entry);
  }
  return result;
}
