/**
 * The in-memory state both stores serve from: services by id, a sorted list
 * view, and the listeners told about changes. Listeners are only called when
 * the list really changed, so a resync that finds nothing new stays quiet.
 * @module
 */

import type { Service, StoreLog } from "./types.ts";

type Listener = (services: readonly Service[]) => void;

/** Services by id plus change notification; owned by one store. */
export class ServiceSet {
  readonly #byId = new Map<string, Service>();
  readonly #listeners = new Set<Listener>();
  #sorted: readonly Service[] = Object.freeze([]);
  #lastNotified = "[]";

  constructor(private readonly log?: StoreLog) {}

  /** Every service sorted by id; a frozen array that is replaced, never mutated. */
  list(): readonly Service[] {
    return this.#sorted;
  }

  get(id: string): Service | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  set(service: Service): void {
    this.#byId.set(service.id, freeze(service));
    this.#resort();
  }

  remove(id: string): boolean {
    const existed = this.#byId.delete(id);
    if (existed) this.#resort();
    return existed;
  }

  /** Replaces everything at once (a full read or a loaded file). */
  replaceAll(services: readonly Service[]): void {
    this.#byId.clear();
    for (const service of services) this.#byId.set(service.id, freeze(service));
    this.#resort();
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Tells every listener about the current list if it differs from the last one told; true if it did. */
  notify(): boolean {
    const fingerprint = JSON.stringify(this.#sorted);
    if (fingerprint === this.#lastNotified) return false;
    this.#lastNotified = fingerprint;
    const list = this.#sorted;
    for (const listener of [...this.#listeners]) {
      try {
        listener(list);
      } catch (error) {
        // A failing consumer must not stop the others from hearing about the change.
        this.log?.error("store listener failed", { error: String(error) });
      }
    }
    return true;
  }

  #resort(): void {
    const ids = [...this.#byId.keys()].sort();
    this.#sorted = Object.freeze(ids.map((id) => this.#byId.get(id)!));
  }
}

function freeze(service: Service): Service {
  return Object.freeze({ id: service.id, acl: service.acl, config: Object.freeze({ ...service.config }) });
}
