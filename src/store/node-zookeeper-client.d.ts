/**
 * The part of node-zookeeper-client 1.1.3 that bamboo uses; the package ships
 * no types. Only {@link ./zk-session.ts} creates a client; the other store modules
 * take ACLs, ids and error codes from it.
 */
declare module "node-zookeeper-client" {
  import type { EventEmitter } from "node:events";

  export interface ClientOptions {
    sessionTimeout?: number;
    spinDelay?: number;
    retries?: number;
    sessionId?: Buffer;
    sessionPassword?: Buffer;
  }

  export class State {
    readonly name: string;
    readonly code: number;
    getName(): string;
    getCode(): number;
  }

  export class Event {
    getType(): number;
    getName(): string;
    getPath(): string;
  }

  export class Id {
    constructor(scheme: string, id: string);
  }

  export class ACL {
    constructor(permission: number, id: Id);
    static readonly OPEN_ACL_UNSAFE: ACL[];
  }

  export interface Stat {
    version: number;
  }

  export interface ZooKeeperError extends Error {
    readonly code: number;
    getCode(): number;
    getName(): string;
  }

  type Callback<T> = (error: ZooKeeperError | null, result: T) => void;

  export interface Transaction {
    create(path: string, data: Buffer | null, acls: ACL[], mode: number): Transaction;
    setData(path: string, data: Buffer | null, version: number): Transaction;
    commit(callback: (error: ZooKeeperError | null, results: unknown) => void): void;
  }
  type Watcher = (event: Event) => void;

  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    getState(): State;
    getSessionId(): Buffer;
    getSessionPassword(): Buffer;
    getSessionTimeout(): number;
    addAuthInfo(scheme: string, auth: Buffer): void;
    create(path: string, data: Buffer | null, acls: ACL[], mode: number, callback: Callback<string>): void;
    remove(path: string, version: number, callback: (error: ZooKeeperError | null) => void): void;
    setData(path: string, data: Buffer | null, version: number, callback: Callback<Stat>): void;
    getData(path: string, watcher: Watcher | undefined, callback: (error: ZooKeeperError | null, data: Buffer | undefined, stat: Stat) => void): void;
    exists(path: string, watcher: Watcher | undefined, callback: Callback<Stat | null>): void;
    getChildren(path: string, watcher: Watcher | undefined, callback: Callback<string[]>): void;
    transaction(): Transaction;
    /** Not public API: the connection manager, reached into only to guard and tear down its socket. */
    readonly connectionManager: Record<string, unknown>;
  }

  export function createClient(connectionString: string, options?: ClientOptions): Client;

  export const Permission: { READ: number; WRITE: number; CREATE: number; DELETE: number; ADMIN: number; ALL: number };
  export const CreateMode: { PERSISTENT: number; EPHEMERAL: number; EPHEMERAL_SEQUENTIAL: number };
  export const Exception: {
    CONNECTION_LOSS: number;
    NO_NODE: number;
    NO_AUTH: number;
    NODE_EXISTS: number;
    NOT_EMPTY: number;
    SESSION_EXPIRED: number;
    AUTH_FAILED: number;
    INVALID_ACL: number;
  };
  const zookeeper: {
    createClient: typeof createClient;
    ACL: typeof ACL;
    Id: typeof Id;
    Permission: typeof Permission;
    CreateMode: typeof CreateMode;
    Exception: typeof Exception;
  };
  export default zookeeper;
}
