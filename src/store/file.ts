/**
 * The store used when no ZooKeeper is configured: every service in one JSON
 * file in the data directory, rewritten atomically on every change.
 * @module
 */

import { ServicesFile } from "./services-file.ts";
import { ServiceSet } from "./service-set.ts";
import { StoreUnavailableError, type Service, type Store, type StoreLog, type StoreStatus } from "./types.ts";

/** Services in one local JSON file (e.g. `BAMBOO_DATA_DIR/services.json`). */
export class FileStore implements Store {
  readonly #services: ServiceSet;
  readonly #file: ServicesFile;
  // Writes run one at a time so the file always reflects a whole, ordered history.
  #queue: Promise<unknown> = Promise.resolve();
  #lastSync: string | null = null;
  #lastError: string | null = null;

  /**
   * @param path - the services file; its directory is created on the first write.
   * @param log - where write failures are reported.
   */
  constructor(
    readonly path: string,
    private readonly log?: StoreLog,
  ) {
    this.#services = new ServiceSet(log);
    this.#file = new ServicesFile(path);
  }

  /** Loads the file; a missing file is an empty store, a corrupt one throws {@link StoreError}. */
  async start(): Promise<void> {
    const loaded = await this.#file.read();
    this.#services.replaceAll(loaded ?? []);
    this.#lastSync = new Date().toISOString();
    this.log?.info("file store loaded", { path: this.path, services: this.#services.list().length });
  }

  list(): readonly Service[] {
    return this.#services.list();
  }

  get(id: string): Service | undefined {
    return this.#services.get(id);
  }

  put(service: Service): Promise<void> {
    return this.#write((list) => withService(list, service)).then(() => undefined);
  }

  delete(id: string): Promise<boolean> {
    return this.#write((list) => (list.some((service) => service.id === id) ? list.filter((service) => service.id !== id) : null));
  }

  watch(listener: (services: readonly Service[]) => void): () => void {
    return this.#services.subscribe(listener);
  }

  status(): StoreStatus {
    return { kind: "file", connected: true, session: null, lastSync: this.#lastSync, lastError: this.#lastError };
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  /**
   * Writes the list `change` makes of the current one (null: nothing to change), and only
   * then makes it the served state: a failed write leaves memory and file as they were.
   */
  #write(change: (list: readonly Service[]) => readonly Service[] | null): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      const services = change(this.#services.list());
      if (services === null) return false;
      try {
        await this.#file.write(services);
      } catch (error) {
        this.#lastError = `cannot write ${this.path}: ${(error as Error).message}`;
        this.log?.error("file store write failed", { path: this.path, error: (error as Error).message });
        throw new StoreUnavailableError(`${this.#lastError}; nothing was changed`, { cause: error });
      }
      this.#services.replaceAll(services);
      this.#lastSync = new Date().toISOString();
      this.#lastError = null;
      this.#services.notify();
      return true;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

/** The id-sorted list with `service` in its place: a new list, the others' objects kept. */
function withService(list: readonly Service[], service: Service): Service[] {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]!.id < service.id) low = middle + 1;
    else high = middle;
  }
  const replaces = list[low]?.id === service.id ? 1 : 0;
  return [...list.slice(0, low), service, ...list.slice(low + replaces)];
}
