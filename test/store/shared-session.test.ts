import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { runtimePaths } from "../../src/config/paths.ts";
import { CertificateZkStore } from "../../src/store/certificate-zk-store.ts";
import type { CertificateStore } from "../../src/store/certificates.ts";
import { createStores, makeService, type Store } from "../../src/store/index.ts";
import { ZkKeeper } from "../../src/store/zk-keeper.ts";
import { ZooKeeperStore } from "../../src/store/zookeeper.ts";
import { selfSignedCertificate } from "../../src/tls/self-signed.ts";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper.ts";
import { eventually } from "./contract.ts";
import { rawClient, type RawZk } from "./raw-zk.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

let server: ZooKeeperServer;
let raw: RawZk;
let dir: string;
let counter = 0;
const opened: (Store | CertificateStore)[] = [];
const proxies: TcpProxy[] = [];
const clients: RawZk[] = [];

beforeAll(async () => {
  [server, dir] = await Promise.all([startZooKeeper(), mkdtemp(join(tmpdir(), "bamboo-zk-shared-"))]);
  raw = await rawClient(server.connectionString);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  for (const proxy of proxies.splice(0)) proxy.stop();
  for (const client of clients.splice(0)) client.close();
});

afterAll(async () => {
  raw?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

// Expiry waits for the server to drop the session; bun kills a timed-out test's child processes.
const SLOW_TEST_MS = 30_000;
const pem = selfSignedCertificate({ hosts: ["shop.test"], now: new Date() });
const quiet = { info() {}, warn() {}, error() {} };

/** Sessions the server holds now that were not there in `before`. */
async function newSessions(before: ReadonlySet<string>): Promise<string[]> {
  return (await server.sessions()).filter((session) => !before.has(session));
}

async function waitForSessions(before: ReadonlySet<string>, count: number, what: string): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const sessions = await newSessions(before);
    if (sessions.length === count) return sessions;
    if (Date.now() > deadline) throw new Error(`expected ${count} new session(s) (${what}), the server holds ${sessions.join(", ") || "none"}`);
    await Bun.sleep(100);
  }
}

describe("one ZooKeeper session per appliance", () => {
  test("the stores createStores makes share one session, which ends with the last of them", async () => {
    const path = `/bamboo-test/shared${++counter}/state`;
    const { config } = loadConfig({ env: { BAMBOO_DATA_DIR: join(dir, `data-${counter}`), BAMBOO_ZK_HOST: server.connectionString, BAMBOO_ZK_PATH: path } });
    const before = new Set(await server.sessions());
    const { store, certificateStore } = createStores(config, runtimePaths(config), quiet);
    opened.push(store, certificateStore);
    await store.start();
    await certificateStore.start();
    expect(store.status().connected).toBe(true);
    expect(certificateStore.status()).toEqual({ kind: "zookeeper", connected: true, lastError: null });
    const [session] = await waitForSessions(before, 1, "both stores started");
    expect(store.status().session).toBe(session!);

    await store.put(makeService("/a", "hdr(host) -i a"));
    await certificateStore.put({ name: "shop", pem });
    expect(await raw.get(`${path}/%2Fa`)).toBe('{"version":"2","config":{"Acl":"hdr(host) -i a"}}');
    expect(await raw.get(`${path}-certificates/shop`)).toBe(pem);
    expect(await newSessions(before)).toEqual([session!]);

    // Closing one store leaves the other's session alone; closing the last ends it.
    await store.close();
    await raw.create(`${path}-certificates/blog`, pem);
    await eventually(() => certificateStore.get("blog") !== undefined, "the certificate store's watch after the services store closed", 2000);
    expect(await newSessions(before)).toEqual([session!]);
    await certificateStore.close();
    await waitForSessions(before, 0, "both stores closed");
  }, SLOW_TEST_MS);

  test("after the shared session expires both stores recover on one new session, watches re-armed", async () => {
    const path = `/bamboo-test/shared${++counter}/state`;
    const proxy = startTcpProxy(server.port);
    proxies.push(proxy);
    const keeper = new ZkKeeper({ hosts: [proxy.address], auth: "bamboo:s3cret", sessionTimeoutMs: 2000 });
    const store = new ZooKeeperStore({ keeper, path, snapshotPath: join(dir, `services-${counter}.json`) });
    const certificateStore = new CertificateZkStore({ keeper, path: `${path}-certificates`, snapshotPath: join(dir, `certificates-${counter}.json`) });
    opened.push(store, certificateStore);
    // Nodes under the stores' base nodes need the digest identity: services are world-readable only.
    const insider = await rawClient(server.connectionString, "bamboo:s3cret");
    clients.push(insider);
    const before = new Set(await server.sessions());
    await store.start();
    await certificateStore.start();
    await store.put(makeService("/a", "x"));
    await certificateStore.put({ name: "shop", pem });
    const [first] = await waitForSessions(before, 1, "both stores started");

    proxy.setMode("refuse");
    await eventually(() => !store.status().connected && !certificateStore.status().connected, "the partition to be noticed by both stores");
    await waitForSessions(before, 0, "the partitioned session expired");
    await insider.create(`${path}/%2Fduring`, "hdr(host) -i during");
    await insider.create(`${path}-certificates/during`, pem);
    proxy.setMode("pass");
    await eventually(() => store.status().connected && certificateStore.status().connected, "both stores back", 15_000);

    const [second] = await waitForSessions(before, 1, "one new session for both");
    expect(second).not.toBe(first);
    expect(store.status().session).toBe(second!);
    expect(store.get("/during")?.acl).toBe("hdr(host) -i during");
    expect(certificateStore.get("during")?.pem).toBe(pem);
    await insider.create(`${path}/%2Fafter`, "hdr(host) -i after");
    await insider.create(`${path}-certificates/after`, pem);
    await eventually(() => store.get("/after") !== undefined && certificateStore.get("after") !== undefined, "watches on the new session", 2000);
  }, SLOW_TEST_MS);
});
