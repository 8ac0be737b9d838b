/**
 * Where services live: ZooKeeper when hosts are configured (shared with other
 * Bamboo instances), otherwise one JSON file in the data directory.
 * @module
 */

import type { Config } from "../config/config.ts";
import type { RuntimePaths } from "../config/paths.ts";
import { FileStore } from "./file.ts";
import type { Store, StoreLog } from "./types.ts";
import { ZooKeeperStore } from "./zookeeper.ts";

export { FileStore } from "./file.ts";
export { ZooKeeperStore, type ZooKeeperStoreOptions } from "./zookeeper.ts";
export * from "./types.ts";

/**
 * Picks the store the configuration asks for. The store is not started yet:
 * call {@link Store.start} before serving.
 */
export function createStore(config: Config, paths: RuntimePaths, log: StoreLog): Store {
  const { hosts, path, auth } = config.zookeeper;
  if (hosts.length > 0) {
    return new ZooKeeperStore({ hosts, path, auth, snapshotPath: paths.servicesSnapshot, log });
  }
  return new FileStore(paths.servicesFile, log);
}
