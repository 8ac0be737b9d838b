/** Names derived from Marathon app ids, exactly as Bamboo derives them (templates depend on them). */

/** `/g/app` → `::g::app`: Bamboo's backend-name stem. */
export function escapedId(appId: string): string {
  return appId.replaceAll("/", "::");
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
