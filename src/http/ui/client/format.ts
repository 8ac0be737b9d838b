/** Shared words for values the API may leave out: the page shows a dash, never "undefined". */
export const MISSING = "—";

export function text(value: unknown): string {
  if (value === undefined || value === null || value === "") return MISSING;
  if (Array.isArray(value)) return value.length === 0 ? MISSING : value.map(String).join(", ");
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

/** "12 s ago", "3 min ago", or the date for anything older than a day. */
export function ago(iso: unknown, now: number = Date.now()): string {
  if (typeof iso !== "string" && typeof iso !== "number") return MISSING;
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return MISSING;
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(at).toLocaleString();
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
