import type { InstancesOf } from "../haproxy/slots.ts";
import type { App } from "../marathon/types.ts";
import { escapedId } from "../routing/ids.ts";

/**
 * Which app's `instances` size a section's server slots (haproxy/slots.ts): the app whose
 * escaped id starts the section's name as a whole name, followed by nothing or by a suffix
 * such as `-cluster` or `-cluster-tcp`. Works for any template that names its backends after
 * the app, as Bamboo's always did; a section no app names is sized by its servers. The
 * longest such id wins, so `::a::b-cluster` is not taken for `::a`'s. Pure; the index is
 * built on the first question, which only a section read again asks.
 */
export function sectionInstances(apps: readonly App[]): InstancesOf {
  let byId: Map<string, number> | undefined;
  return (header) => {
    byId ??= new Map(apps.map((app) => [escapedId(app.id), app.instances]));
    const name = header.slice(header.search(/\s/) + 1);
    for (let end = name.length; end > 0; end--) {
      if (end < name.length && /[A-Za-z0-9.:]/.test(name[end]!)) continue;
      const instances = byId.get(name.slice(0, end));
      if (instances !== undefined) return instances;
    }
    return undefined;
  };
}
