/**
 * Where services live: ZooKeeper when hosts are configured (shared with other
 * Bamboo instances), otherwise one JSON file in the data directory.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { RuntimePaths } from "../config/paths.ts";
import { createCertificateStore, type CertificateStore } from "./certificates.ts";
import { FileStore } from "./file.ts";
import type { Store, StoreLog } from "./types.ts";
import { ZkKeeper } from "./zk-keeper.ts";
import { ZooKeeperStore } from "./zookeeper.ts";

export { FileStore } from "./file.ts";
export { ZkKeeper, type ZkKeeperOptions } from "./zk-keeper.ts";
export { ZooKeeperStore, type ZooKeeperStoreOptions } from "./zookeeper.ts";
export * from "./types.ts";

/**
 * The services store and the certificate store an appliance serves from. With ZooKeeper
 * both go through one session (`keeper`, which the cluster's election shares too), so an
 * instance holds one session, not one per store. Not started yet; the session opens with the
 * first start() and ends with the last close().
 */
export function createStores(config: Config, paths: RuntimePaths, log: StoreLog): { store: Store; certificateStore: CertificateStore; keeper: ZkKeeper | null } {
  const keeper = zkKeeperFor(config, log);
  return {
    store: createStore(config, paths, log, keeper),
    certificateStore: createCertificateStore({ zookeeper: config.zookeeper, dataDir: paths.dataDir, log, keeper }),
    keeper,
  };
}

/**
 * Picks the store the configuration asks for, on `keeper`'s session when given (see
 * {@link createStores}). The store is not started yet: call {@link Store.start} before serving.
 */
export function createStore(config: Config, paths: RuntimePaths, log: StoreLog, keeper = zkKeeperFor(config, log)): Store {
  if (keeper) {
    return new ZooKeeperStore({ keeper, path: config.zookeeper.path, snapshotPath: paths.servicesSnapshot, log });
  }
  return new FileStore(paths.servicesFile, log);
}

/** The session keeper when ZooKeeper hosts are configured, else null (the file stores). */
function zkKeeperFor(config: Config, log: StoreLog): ZkKeeper | null {
  const { hosts, auth, sessionTimeoutMs } = config.zookeeper;
  return hosts.length > 0 ? new ZkKeeper({ hosts, auth, sessionTimeoutMs, log }) : null;
}
