import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { runtimePaths } from "../../src/config/paths.ts";
import { createStore, FileStore, ZooKeeperStore } from "../../src/store/index.ts";

const quiet = { info() {}, warn() {}, error() {} };

function configWith(env: Record<string, string>) {
  const { config } = loadConfig({ env: { BAMBOO_DATA_DIR: "/tmp/bamboo-create-store", ...env } });
  return { config, paths: runtimePaths(config) };
}

describe("createStore", () => {
  test("uses the file store in the data directory when no ZooKeeper host is configured", () => {
    const { config, paths } = configWith({});
    const store = createStore(config, paths, quiet);
    expect(store).toBeInstanceOf(FileStore);
    expect((store as FileStore).path).toBe(paths.servicesFile);
  });

  test("uses ZooKeeper when hosts are configured", () => {
    const { config, paths } = configWith({ BAMBOO_ZK_HOST: "127.0.0.1:2181,127.0.0.1:2182/chroot" });
    const store = createStore(config, paths, quiet);
    expect(store).toBeInstanceOf(ZooKeeperStore);
    expect(store.status()).toMatchObject({ kind: "zookeeper", connected: false, session: null });
  });
});
