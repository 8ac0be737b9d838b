/** Reading HAProxy's own output lines: their severity, their text, and which alerts name a cause. */

/** Severity HAProxy put at the start of a line ("[ALERT]", "[WARNING]", "[NOTICE]"). */
export type HAProxyLineLevel = "alert" | "warning" | "notice" | "other";

/** Reads HAProxy's severity and strips the prefix: "[ALERT] (12) : config : x" → "x". */
export function parseHAProxyLine(line: string): { level: HAProxyLineLevel; text: string } {
  const match = /^\[(ALERT|WARNING|NOTICE)\]\s*(?:\(\d+\)\s*)?:\s*(.*)$/.exec(line.trim());
  if (!match) return { level: "other", text: line.trim() };
  const level = match[1] === "ALERT" ? "alert" : match[1] === "WARNING" ? "warning" : "notice";
  return { level, text: (match[2] ?? "").replace(/^config\s*:\s*/, "") };
}

// Summary lines HAProxy adds after the real error; they name no cause.
const GENERIC_ALERT = /^(Error\(s\) found in configuration file|Fatal errors found in configuration|Loading failure)/;

/** The alert texts that say what was wrong, generic summaries left out (all of them when none is specific). */
export function causeAlerts(alerts: readonly string[]): string[] {
  const specific = alerts.filter((text) => !GENERIC_ALERT.test(text));
  return specific.length > 0 ? specific : [...alerts];
}

/** The alerts of a whole output (`haproxy -c`'s), that name a cause: file, line and problem. */
export function haproxyAlerts(output: string): string[] {
  const alerts = output
    .split("\n")
    .map(parseHAProxyLine)
    .filter((line) => line.level === "alert")
    .map((line) => line.text);
  return alerts.filter((text) => !GENERIC_ALERT.test(text));
}
