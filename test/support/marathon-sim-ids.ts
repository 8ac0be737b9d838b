/**
 * Marathon's rules for app ids, so the simulator refuses what Marathon refuses: every path
 * segment is lower-case DNS-label-like (dots allowed between labels), or "." / ".." in a
 * relative id. A relative id is resolved against the root group.
 */

const LABEL = "([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])";
/** One segment of an app id, as Marathon's PathId validation states it. */
export const ID_SEGMENT = new RegExp(`^(${LABEL}\\.)*${LABEL}$`);

/** The absolute id, or an error message in Marathon's words. */
export function validateAppId(raw: unknown): { id: string } | { error: string } {
  if (typeof raw !== "string" || raw.trim() === "") return { error: "id: must not be empty" };
  const segments: string[] = [];
  for (const segment of raw.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.pop() === undefined) return { error: `id: '${raw}' points above the root group` };
      continue;
    }
    if (!ID_SEGMENT.test(segment)) return { error: `id: '${segment}' must fully match regular expression '${ID_SEGMENT.source}'` };
    segments.push(segment);
  }
  if (segments.length === 0) return { error: "id: the root group is not an app" };
  return { id: `/${segments.join("/")}` };
}

/** Marathon's task id prefix: the app id without the leading slash, slashes as underscores. */
export function taskIdPrefix(appId: string): string {
  return appId.slice(1).replace(/\//g, "_");
}
