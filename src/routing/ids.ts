/** Names derived from Marathon app ids, exactly as Bamboo derives them (templates depend on them). */

/** `/g/app` → `::g::app`: Bamboo's backend-name stem. */
export function escapedId(appId: string): string {
  return appId.replaceAll("/", "::");
}

/**
 * The app a section (backend, listen) belongs to, by its name: the app whose escaped id
 * starts the name as a whole name, followed by nothing or by a suffix such as `-cluster` or
 * `-cluster-tcp`. Works for any template that names its sections after the app, as Bamboo's
 * always did. The longest such id wins, so `::a::b-cluster` is not taken for `::a`'s.
 */
export function ownerOfName<T>(byEscapedId: ReadonlyMap<string, T>, name: string): T | undefined {
  for (let end = name.length; end > 0; end--) {
    if (end < name.length && continuesName(name.charCodeAt(end))) continue;
    const owner = byEscapedId.get(name.slice(0, end));
    if (owner !== undefined) return owner;
  }
  return undefined;
}

/**
 * [A-Za-z0-9.:], as haproxy/culprits.ts reads a name. Compared by code, not with a regex
 * literal, which allocates a RegExp each time it is evaluated: 60,000 of them slotting 10,000 apps.
 */
function continuesName(code: number): boolean {
  return (code >= 48 && code <= 58) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 46;
}

/** `/nested/group/app` → `app-group-nested`, the name Mesos-DNS gives the app. */
export function mesosDnsId(appId: string): string {
  return appId
    .split("/")
    .filter((part) => part !== "")
    .reverse()
    .join("-");
}

/** `/g/app` → `["", "g", "app"]`, as Go's strings.Split did. */
export function splitId(appId: string): string[] {
  return appId.split("/");
}

/** Adds the leading slash that Bamboo's API adds to ids written without one. */
export function normaliseServiceId(id: string): string {
  return id.startsWith("/") ? id : `/${id}`;
}
