import type { App } from "./types.ts";

/**
 * An app Marathon changed is a new object: this many old objects may wait for
 * {@link AppMemo.keepOnly} before it looks for them, so that a task event among 10,000 apps
 * does not build a set of all of them each time.
 */
const STALE_OBJECTS_KEPT = 64;

/**
 * Values worked out from an app, kept while its object is a current one: an app Marathon
 * changed is a new object and gets a value of its own.
 *
 * A WeakMap keyed by the object did this without bookkeeping, but JavaScriptCore visits every
 * entry of every WeakMap at every young-generation collection: 10,000 entries add about
 * 0.6 ms to each (measured in isolation: ten such maps made a collection 6-7 ms instead of
 * 0.8). A Map costs a collection nothing, and keyed by the object it needs no entry object
 * beside the value (a Map by id needed one to tell the object apart: 1.3 MB for the four
 * memos of 10,000 apps). What is no longer listed is let go by {@link AppMemo.keepOnly}.
 */
export class AppMemo<V> {
  readonly #byApp = new Map<App, V>();

  get(app: App): V | undefined {
    return this.#byApp.get(app);
  }

  set(app: App, value: V): void {
    this.#byApp.set(app, value);
  }

  /**
   * Lets go of the objects `current` (the whole list, after its values were looked up and
   * set) does not hold, once there are {@link STALE_OBJECTS_KEPT} of them.
   */
  keepOnly(current: readonly App[]): void {
    if (this.#byApp.size < current.length + STALE_OBJECTS_KEPT) return;
    const listed = new Set(current);
    for (const app of this.#byApp.keys()) if (!listed.has(app)) this.#byApp.delete(app);
  }

  get size(): number {
    return this.#byApp.size;
  }
}
