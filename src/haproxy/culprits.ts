import { isSectionHeader } from "./config-structure.ts";

/**
 * The apps a rejected config's errors point at. HAProxy names the file and line of each
 * error; the line, or the header of the section it is in, names the app through its
 * escaped id (`::grp::app`). Works for any template that puts the id in its names, as
 * Bamboo's always did. Pure.
 */
export function culpritApps(config: string, alerts: readonly string[], apps: readonly { readonly id: string; readonly escapedId: string }[]): string[] {
  const lines = config.split("\n");
  // Longest first, so `::a::b` is not mistaken for `::a`.
  const byLength = [...apps].sort((a, b) => b.escapedId.length - a.escapedId.length);
  const found = new Set<string>();
  for (const alert of alerts) {
    const match = /\[[^\]]*:(\d+)\]/.exec(alert);
    if (!match) continue;
    const index = Number(match[1]) - 1;
    const line = lines[index] ?? "";
    let header = "";
    for (let i = index; i >= 0; i--) {
      if (isSectionHeader(lines[i]!)) {
        header = lines[i]!;
        break;
      }
    }
    const culprit = byLength.find((app) => mentions(line, app.escapedId)) ?? byLength.find((app) => mentions(header, app.escapedId));
    if (culprit) found.add(culprit.id);
  }
  return [...found];
}

/** The escaped id as a whole name: followed by nothing, a separator or a suffix such as `-cluster`. */
function mentions(text: string, escapedId: string): boolean {
  let at = text.indexOf(escapedId);
  while (at >= 0) {
    const after = text[at + escapedId.length];
    if (after === undefined || !/[A-Za-z0-9.:]/.test(after)) return true;
    at = text.indexOf(escapedId, at + 1);
  }
  return false;
}
