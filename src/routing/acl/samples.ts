import type { AclRule } from "./model.ts";

/**
 * Example values a pattern matches, from which the conflict check builds requests that two
 * rules might both match. For literal patterns the pattern itself is the example; for a regex
 * they are its literal runs (`^/api/v[0-9]+` gives `/api/v`), because two regexes cannot be
 * compared in general. A missed example means a missed overlap report, never a false one:
 * every reported overlap names a request that both rules were seen to match.
 *
 * @module
 */

/** Seeds for one pattern of `rule`. */
export function patternSeeds(rule: AclRule, pattern: string): string[] {
  switch (rule.method) {
    case "reg":
      return regexSeeds(pattern);
    case "found":
    case "len":
      return ["x"];
    case "dir":
      return [`/${pattern.replace(/^[/?]+|[/?]+$/g, "")}`];
    case "ip":
      // The network's own address is inside it, and inside any wider network holding it.
      return [pattern.split("/")[0]!];
    case "dom":
      return [pattern.replace(/^[/?.:]+|[/?.:]+$/g, "")];
    default:
      return [pattern];
  }
}

/**
 * Strings to try for a pair of seeds: each seed alone and extended as its method allows, and
 * the two joined both ways, merging a shared boundary (`api.` + `.example.com` gives
 * `api.example.com`), which is how a prefix and a suffix are both satisfied.
 */
export function candidateStrings(a: string, b: string): string[] {
  const out = new Set<string>();
  for (const seed of [a, b]) {
    out.add(seed);
    out.add(`${seed}x`);
    out.add(`${seed}/x`);
    // Regex seeds stop where a class or repetition starts (`v[0-9]+`); a digit often satisfies it.
    out.add(`${seed}1`);
    out.add(`${seed}1/x`);
    out.add(`x${seed}`);
    out.add(`x.${seed}`);
  }
  out.add(merge(a, b));
  out.add(merge(b, a));
  out.add(`${a}${b}`);
  out.add(`${b}${a}`);
  return [...out];
}

/** `a` followed by `b`, sharing the longest suffix of `a` that is a prefix of `b`. */
function merge(a: string, b: string): string {
  for (let overlap = Math.min(a.length, b.length); overlap > 0; overlap--) {
    if (a.endsWith(b.slice(0, overlap))) return a + b.slice(overlap);
  }
  return a + b;
}

/** Literal runs of a regex, plus its anchored prefix and suffix joined, when it has both. */
export function regexSeeds(source: string): string[] {
  const runs = literalRuns(source);
  const seeds = runs.map((run) => run.text).filter((text) => text !== "");
  const first = runs[0];
  const last = runs[runs.length - 1];
  const anchoredStart = source.startsWith("^") && first?.start === 1;
  const anchoredEnd = /(?:^|[^\\])\$$/.test(source) && last?.end === source.length - 1;
  if (anchoredStart && anchoredEnd && first !== last && !source.includes("|")) seeds.push(`${first!.text}x${last!.text}`);
  return seeds.length > 0 ? seeds : ["x"];
}

interface Run {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** Splits a regex into runs of characters it matches literally. */
function literalRuns(source: string): Run[] {
  const runs: Run[] = [];
  let text = "";
  let start = 0;
  const close = (at: number) => {
    if (text !== "") runs.push({ text, start, end: at });
    text = "";
  };
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === "\\") {
      const next = source[i + 1];
      if (next !== undefined && !/[A-Za-z0-9]/.test(next)) {
        if (text === "") start = i;
        text += next;
        i++;
        continue;
      }
      close(i);
      i++;
      continue;
    }
    if (char === "?" || char === "*") {
      // The previous character may be absent, so it cannot be part of a literal run.
      text = text.slice(0, -1);
      close(i - 1);
      continue;
    }
    if ("^$.|+()[]".includes(char)) {
      close(i);
      if (char === "[") i = skipClass(source, i);
      continue;
    }
    if (text === "") start = i;
    text += char;
  }
  close(source.length);
  return runs;
}

function skipClass(source: string, open: number): number {
  for (let i = open + 1; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === "]" && i > open + 1) return i;
  }
  return source.length;
}
