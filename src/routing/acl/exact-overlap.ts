import type { AclRule, MatchMethod, Subject } from "./model.ts";

/**
 * Exact overlap tests for the pattern pairs that make up nearly every installation (exact
 * hosts, host suffixes and domains, exact paths, path prefixes and directories), so that
 * comparing thousands of stored rules does not go through example requests. Answers with a
 * request value both patterns match, null when none exists, or undefined when the pair is not
 * one of these and the general comparison must decide.
 *
 * @module
 */

type Shape = { kind: "exact" | "prefix" | "segment" | "suffix" | "domain"; value: string };

export function exactOverlap(a: AclRule, patternA: string, b: AclRule, patternB: string, subject: Subject): string | null | undefined {
  if (a.converters.length > 0 || b.converters.length > 0) return undefined;
  // One case-insensitive side accepts the other's casing, so folding both is exact.
  const fold = subject === "host" || a.ignoreCase || b.ignoreCase;
  const sa = shape(a.method, fold ? patternA.toLowerCase() : patternA, subject);
  const sb = shape(b.method, fold ? patternB.toLowerCase() : patternB, subject);
  if (!sa || !sb) return undefined;
  return subject === "host" ? hostOverlap(sa, sb) : pathOverlap(sa, sb);
}

function shape(method: MatchMethod, pattern: string, subject: Subject): Shape | null {
  if (subject === "host") {
    if (method === "str") return { kind: "exact", value: pattern };
    if (method === "end" && pattern !== "") return { kind: "suffix", value: pattern };
    if (method === "dom") {
      const domain = pattern.replace(/^[/?.:]+|[/?.:]+$/g, "");
      return domain === "" ? null : { kind: "domain", value: domain };
    }
    return null;
  }
  if (subject !== "path") return null;
  if (method === "str") return { kind: "exact", value: pattern };
  if (method === "beg") return { kind: "prefix", value: pattern };
  if (method === "dir") {
    const segment = pattern.replace(/^[/?]+|[/?]+$/g, "");
    return segment === "" ? null : { kind: "segment", value: `/${segment}` };
  }
  return null;
}

/** Whether `value` is matched by a path shape, with `dir` read as a segment prefix. */
function pathMatches(shape: Shape, value: string): boolean {
  if (shape.kind === "exact") return value === shape.value;
  if (shape.kind === "prefix") return value.startsWith(shape.value);
  return value === shape.value || value.startsWith(`${shape.value}/`);
}

function pathOverlap(a: Shape, b: Shape): string | null {
  // Every path shape's own value is matched by it; an overlap, if any, is one of the two values.
  if (pathMatches(b, a.value) && pathMatches(a, a.value)) return a.value;
  if (pathMatches(a, b.value)) return b.value;
  if (a.kind === "segment" && b.kind === "prefix" && b.value.startsWith(a.value) && `${a.value}/`.startsWith(b.value)) return `${a.value}/`;
  if (b.kind === "segment" && a.kind === "prefix" && a.value.startsWith(b.value) && `${b.value}/`.startsWith(a.value)) return `${b.value}/`;
  return null;
}

/** Hosts: the port is not part of the name a suffix or domain is compared with. */
function hostMatches(shape: Shape, host: string): boolean {
  const name = host.includes(":") ? host.replace(/:[0-9]*$/, "") : host;
  if (shape.kind === "exact") return host === shape.value;
  if (shape.kind === "suffix") return host.endsWith(shape.value);
  return name === shape.value || name.endsWith(`.${shape.value}`);
}

function hostOverlap(a: Shape, b: Shape): string | null {
  // An exact host overlaps only through itself; this is the common pair and must stay cheap.
  if (a.kind === "exact") return hostMatches(b, a.value) ? a.value : null;
  if (b.kind === "exact") return hostMatches(a, b.value) ? b.value : null;
  // Values starting with '.' are suffixes, not host names; try them last so messages show real hosts.
  const candidates = [a.value, b.value, `x${a.value}`, `x${b.value}`, `x.${a.value}`, `x.${b.value}`].sort((x, y) => Number(x.startsWith(".")) - Number(y.startsWith(".")));
  return candidates.find((host) => hostMatches(a, host) && hostMatches(b, host)) ?? null;
}
