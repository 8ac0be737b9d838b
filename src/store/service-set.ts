/**
 * The in-memory state both stores serve from: services by id, a sorted list
 * view, and the listeners told about changes. Listeners are only called when
 * the list really changed, so a resync that finds nothing new stays quiet.
 * @module
 */

import { sameService, type Service, type StoreLog } from "./types.ts";

type Listener = (services: readonly Service[]) => void;

/** Services by id plus change notification; owned by one store. */
export class ServiceSet {
  readonly #byId = new Map<string, Service>();
  readonly #listeners = new Set<Listener>();
  #sorted: readonly Service[] = [];
  #lastNotified: readonly Service[] = [];

  constructor(private readonly log?: StoreLog) {}

  /**
   * Every service sorted by id; an array that is replaced, never mutated. Not frozen: freezing
   * 10,000 elements cost a rule write 12 ms, and the type already forbids changing it.
   */
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

  /** Replaces everything at once (a full read, a loaded file, a file store's write). */
  replaceAll(services: readonly Service[]): void {
    this.#byId.clear();
    for (const service of services) this.#byId.set(service.id, freeze(service));
    // A file store's write hands over the sorted list with one service changed: sorting 10,000 ids again costs the write.
    if (services.length === this.#byId.size && isSortedById(services)) this.#sorted = services.map((service) => this.#byId.get(service.id)!);
    else this.#resort();
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Tells every listener about the current list if it differs from the last one told; true if it did. */
  notify(): boolean {
    const list = this.#sorted;
    if (sameServices(list, this.#lastNotified)) return false;
    this.#lastNotified = list;
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
    this.#sorted = ids.map((id) => this.#byId.get(id)!);
  }
}

/** A frozen copy, or the service itself when it already is one (the store's own objects come back on every write). */
function freeze(service: Service): Service {
  if (Object.isFrozen(service) && Object.isFrozen(service.config)) return service;
  return Object.freeze({ id: service.id, acl: service.acl, config: Object.freeze({ ...service.config }) });
}

function isSortedById(services: readonly Service[]): boolean {
  for (let i = 1; i < services.length; i++) if (services[i - 1]!.id >= services[i]!.id) return false;
  return true;
}

function sameServices(a: readonly Service[], b: readonly Service[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((service, i) => sameService(service, b[i]!));
}
