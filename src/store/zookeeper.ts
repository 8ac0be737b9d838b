/**
 * Services kept in ZooKeeper the way Bamboo keeps them, so bamboo and Bamboo
 * instances can share one path. Reads are served from a local copy that
 * survives every ZooKeeper failure (and a restart, through a snapshot file);
 * writes go to ZooKeeper or fail fast with {@link StoreUnavailableError}.
 * @module
 */

import type { ACL } from "node-zookeeper-client";
import { ServicesFile } from "./services-file.ts";
import { ServiceSet } from "./service-set.ts";
import { decodeNode, encodeNodeBody, encodeNodeName } from "./znode-codec.ts";
import { serviceAcl } from "./zk-layout.ts";
import type { ZkKeeper } from "./zk-keeper.ts";
import { ZkMirror } from "./zk-mirror.ts";
import { ZkReplica } from "./zk-replica.ts";
import { ZK_CODES, ZkOpError } from "./zk-session.ts";
import type { Service, Store, StoreLog, StoreStatus } from "./types.ts";

/** Where the services live; the session (hosts, auth, timeouts) is the keeper's. */
export interface ZooKeeperStoreOptions {
  /** The session this store shares with the appliance's other ZooKeeper store. */
  readonly keeper: ZkKeeper;
  /** Base node holding one child per service, e.g. `/marathon-haproxy/state`. */
  readonly path: string;
  /** Last services seen, served while ZooKeeper cannot be reached at boot. */
  readonly snapshotPath: string;
  /** How long start() waits for a first full read before serving the snapshot. */
  readonly bootWaitMs?: number;
  readonly log?: StoreLog;
}

/** The ZooKeeper-backed {@link Store}. */
export class ZooKeeperStore implements Store {
  readonly #path: string;
  readonly #keeper: ZkKeeper;
  readonly #log?: StoreLog;
  readonly #services: ServiceSet;
  readonly #snapshot: ServicesFile;
  readonly #mirror: ZkMirror<Service>;
  readonly #replica: ZkReplica;
  readonly #acl: ACL[];
  #snapshotWrite: Promise<void> = Promise.resolve();

  constructor(options: ZooKeeperStoreOptions) {
    this.#path = options.path.replace(/\/+$/, "") || "/";
    this.#keeper = options.keeper;
    this.#log = options.log;
    this.#snapshot = new ServicesFile(options.snapshotPath);
    this.#services = new ServiceSet(options.log);
    this.#acl = serviceAcl(options.keeper.auth);
    this.#replica = new ZkReplica(
      {
        keeper: options.keeper,
        path: this.#path,
        acl: this.#acl,
        noun: "services",
        readFailedMessage: "full read from ZooKeeper failed",
        bootWaitMs: options.bootWaitMs,
        log: options.log,
      },
      {
        fullRead: (session) => this.#mirror.fullRead(session),
        resetWatches: () => this.#mirror.resetWatches(),
        synced: () => this.#publish(true),
        disconnected: (session) =>
          this.#log?.warn("disconnected from ZooKeeper; serving the last known services", { session: session.id }),
      },
    );
    this.#mirror = new ZkMirror(this.#path, {
      // Events during a full read are handled too: ignoring one would lose its watch.
      session: () => this.#replica.session(),
      changed: () => this.#publish(),
      needFullRead: (reason) => this.#replica.requestFullRead(reason),
    }, {
      watchBase: true,
      // A name that is no escaped app id is decodeNode's to report, like any unreadable body.
      unusableName: () => null,
      decode: (name, body) => {
        const decoded = decodeNode(name, body);
        return decoded.ok ? { ok: true, value: decoded.service } : decoded;
      },
      skipped: (_name, reason) => this.#log?.warn("skipping a ZooKeeper service node that cannot be read", { path: this.#path, reason }),
    });
  }

  /** Serves the snapshot, joins the session, and waits (at most bootWaitMs) for a first full read. */
  async start(): Promise<void> {
    try {
      const saved = await this.#snapshot.read();
      if (saved) this.#services.replaceAll(saved);
    } catch (error) {
      this.#log?.warn("ignoring the ZooKeeper snapshot file", { error: (error as Error).message });
    }
    if (!(await this.#replica.start())) {
      this.#log?.warn("ZooKeeper not reachable yet; serving the last known services", {
        hosts: this.#keeper.connectionString, services: this.#services.list().length, error: this.#replica.lastError,
      });
    }
  }

  list(): readonly Service[] {
    return this.#services.list();
  }

  get(id: string): Service | undefined {
    return this.#services.get(id);
  }

  async put(service: Service): Promise<void> {
    const session = this.#replica.writable(`save ${service.id}`);
    const name = encodeNodeName(service.id);
    const path = `${this.#path}/${name}`;
    const body = Buffer.from(encodeNodeBody(service));
    let existed = true;
    try {
      await session.setData(path, body).catch(async (error: unknown) => {
        if (!(error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE)) throw error;
        existed = false;
        await session.create(path, body, this.#acl);
      });
    } catch (error) {
      throw this.#replica.writeError(`save ${service.id}`, path, error);
    }
    if (existed) {
      // Bamboo instances watch only the base node's data for updates.
      await session.setData(this.#path, Buffer.alloc(0)).catch((error: unknown) =>
        this.#log?.warn("could not touch the base node after an update", { error: (error as Error).message }),
      );
    }
    this.#mirror.applyLocal(name, service);
    this.#publish();
  }

  async delete(id: string): Promise<boolean> {
    const session = this.#replica.writable(`delete ${id}`);
    const name = encodeNodeName(id);
    const path = `${this.#path}/${name}`;
    try {
      await session.remove(path);
    } catch (error) {
      if (error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE) return false;
      throw this.#replica.writeError(`delete ${id}`, path, error);
    }
    this.#mirror.applyLocal(name, null);
    this.#publish();
    return true;
  }

  watch(listener: (services: readonly Service[]) => void): () => void {
    return this.#services.subscribe(listener);
  }

  status(): StoreStatus {
    return {
      kind: "zookeeper",
      connected: this.#replica.connected,
      session: this.#replica.sessionId,
      lastSync: this.#replica.lastSync,
      lastError: this.#replica.lastError,
    };
  }

  async close(): Promise<void> {
    this.#replica.close();
    await this.#snapshotWrite;
  }

  /** Makes the mirror the served state; the snapshot follows every change and every full read. */
  #publish(afterFullRead = false): void {
    if (!this.#replica.synced) return;
    this.#services.replaceAll(this.#mirror.values());
    const changed = this.#services.notify();
    if (changed || afterFullRead) this.#saveSnapshot(this.#services.list());
  }

  #saveSnapshot(services: readonly Service[]): void {
    this.#snapshotWrite = this.#snapshotWrite
      .then(() => this.#snapshot.write(services))
      .catch((error: unknown) => this.#log?.warn("could not save the ZooKeeper snapshot", { error: (error as Error).message }));
  }
}
