/**
 * The routing rules users write: one service per Marathon app id. Both stores
 * (file, ZooKeeper) implement {@link Store} and pass one contract suite.
 */

export interface Service {
  /** Marathon app id with a leading slash. */
  readonly id: string;
  /** HAProxy ACL criterion, e.g. `hdr(host) -i ghost.local`; "" for the default path rule. */
  readonly acl: string;
  /** Bamboo's free-form config map; `Acl` mirrors `acl`. Unknown keys are kept. */
  readonly config: Readonly<Record<string, string>>;
  /** Set on a rule made from an app's marathon-lb labels (compile/label-services.ts), never stored. */
  readonly origin?: "labels";
}

export interface StoreStatus {
  readonly kind: "file" | "zookeeper";
  readonly connected: boolean;
  readonly session: string | null;
  readonly lastSync: string | null;
  readonly lastError: string | null;
}

export interface Store {
  /** Loads the first state; never throws because a backend is down (the store then serves what it knows). */
  start(): Promise<void>;
  /** Every service, sorted by id. */
  list(): readonly Service[];
  get(id: string): Service | undefined;
  /** Create or replace; resolves once the write is durable. Throws {@link StoreUnavailableError}. */
  put(service: Service): Promise<void>;
  /** Resolves false when there was nothing to delete. Throws {@link StoreUnavailableError}. */
  delete(id: string): Promise<boolean>;
  /** Called with the full list after every change, local or remote. Returns an unsubscribe function. */
  watch(listener: (services: readonly Service[]) => void): () => void;
  status(): StoreStatus;
  close(): Promise<void>;
}

/** A write that cannot be made durable right now; the API answers 503 and nothing changed. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/** A store failure that is not about reachability: a corrupt file, a write ZooKeeper refused. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
  }
}

/**
 * The logging a store needs; structural so any logger with these methods fits.
 * Fields carry context (service id, ZooKeeper path, session) as data.
 */
export interface StoreLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Bamboo's services: `config.Acl` and `acl` are the same rule. */
export function makeService(id: string, acl: string, config: Readonly<Record<string, string>> = {}): Service {
  // Nearly every service has no config but its rule: a literal of one field is half the size of a copy of {}.
  if (isEmpty(config)) return { id, acl, config: acl === "" ? {} : { Acl: acl } };
  const merged: Record<string, string> = { ...config };
  if (acl !== "") merged.Acl = acl;
  else delete merged.Acl;
  return { id, acl, config: merged };
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}

/** Whether services (or apps) are in strictly ascending id order, as the stores keep them. */
export function isSortedById(items: readonly { readonly id: string }[]): boolean {
  for (let i = 1; i < items.length; i++) if (items[i - 1]!.id >= items[i]!.id) return false;
  return true;
}

/** Whether two services say the same: id, rule and every config entry. */
export function sameService(a: Service, b: Service): boolean {
  if (a === b) return true;
  if (a.id !== b.id || a.acl !== b.acl) return false;
  const keys = Object.keys(a.config);
  return keys.length === Object.keys(b.config).length && keys.every((key) => a.config[key] === b.config[key]);
}
