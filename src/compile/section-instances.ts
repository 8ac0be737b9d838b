import type { InstancesOf } from "../haproxy/slots.ts";
import type { App } from "../marathon/types.ts";
import { escapedId, ownerOfName } from "../routing/ids.ts";

/**
 * Which app's `instances` size a section's server slots (haproxy/slots.ts): the app that
 * names the section (routing/ids.ts ownerOfName); a section no app names is sized by its servers.
 */
export function instancesOfSection(byEscapedId: ReadonlyMap<string, number>, header: string): number | undefined {
  const space = header.indexOf(" ");
  return ownerOfName(byEscapedId, space < 0 ? header : header.slice(space + 1));
}

/**
 * Apps' instances by escaped id, kept from one compile to the next: a task event changes one
 * app object of 10,000, and building the whole index again cost about 5 ms per event.
 * Apps Marathon answered unchanged keep their objects (sync/reconciler.ts), so an app list of
 * the same length is updated where its objects differ; any other list is indexed afresh.
 */
export class SectionInstances {
  #apps: readonly App[] = [];
  readonly #byEscapedId = new Map<string, number>();

  of(apps: readonly App[]): InstancesOf {
    if (apps !== this.#apps) this.#update(apps);
    const byEscapedId = this.#byEscapedId;
    return (header) => instancesOfSection(byEscapedId, header);
  }

  #update(apps: readonly App[]): void {
    const before = this.#apps;
    this.#apps = apps;
    if (apps.length !== before.length) {
      this.#byEscapedId.clear();
      for (const app of apps) this.#byEscapedId.set(escapedId(app.id), app.instances);
      return;
    }
    const changed: number[] = [];
    for (let i = 0; i < apps.length; i++) if (apps[i] !== before[i]) changed.push(i);
    // Every replaced entry goes before any new one is set: an id may have moved to another index.
    for (const i of changed) this.#byEscapedId.delete(escapedId(before[i]!.id));
    for (const i of changed) this.#byEscapedId.set(escapedId(apps[i]!.id), apps[i]!.instances);
  }
}
