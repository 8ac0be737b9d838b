import type { App } from "./types.ts";

/**
 * Values worked out from an app, kept while its object is the current one for its id: an app
 * Marathon changed is a new object and gets a value of its own.
 *
 * A WeakMap keyed by the object did this without bookkeeping, but JavaScriptCore visits every
 * entry of every WeakMap at every young-generation collection: 10,000 entries add about
 * 0.6 ms to each (measured in isolation: ten such maps made a collection 6-7 ms instead of
 * 0.8). A Map by id costs a collection nothing; what is no longer listed is forgotten by
 * {@link AppMemo.keepOnly}.
 */
export class AppMemo<V> {
  readonly #byId = new Map<string, { readonly app: App; readonly value: V }>();

  get(app: App): V | undefined {
    const entry = this.#byId.get(app.id);
    return entry !== undefined && entry.app === app ? entry.value : undefined;
  }

  set(app: App, value: V): void {
    this.#byId.set(app.id, { app, value });
  }

  /** Forgets every app `current` (the whole list, after its values were looked up) does not hold. */
  keepOnly(current: readonly App[]): void {
    if (this.#byId.size <= current.length) return;
    const ids = new Set(current.map((app) => app.id));
    for (const id of this.#byId.keys()) if (!ids.has(id)) this.#byId.delete(id);
  }

  get size(): number {
    return this.#byId.size;
  }
}
