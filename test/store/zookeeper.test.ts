import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZooKeeperStore, type ZooKeeperStoreOptions } from "../../src/store/zookeeper.ts";
import { ZkKeeper, type ZkKeeperOptions } from "../../src/store/zk-keeper.ts";
import { makeService, StoreError, StoreUnavailableError } from "../../src/store/types.ts";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper.ts";
import { eventually, runStoreContract } from "./contract.ts";
import { rawClient, type RawZk } from "./raw-zk.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

let server: ZooKeeperServer;
let raw: RawZk;
let dir: string;
let counter = 0;
const stores: ZooKeeperStore[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  [server, dir] = await Promise.all([startZooKeeper(), mkdtemp(join(tmpdir(), "bamboo-zk-store-"))]);
  raw = await rawClient(server.connectionString);
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const proxy of proxies.splice(0)) proxy.stop();
});

afterAll(async () => {
  raw?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

// Outage tests wait for reconnects and expiry; bun kills a timed-out test's child processes.
const SLOW_TEST_MS = 20_000;
const freshPath = () => `/bamboo-test/run${++counter}/state`;

type OpenOptions = Partial<Omit<ZooKeeperStoreOptions, "keeper"> & ZkKeeperOptions> & { path: string };

/** A started store on a session of its own; short timeouts keep failure tests fast without fixed sleeps. */
async function openStore({ hosts, auth, sessionTimeoutMs, opTimeoutMs, ...options }: OpenOptions): Promise<ZooKeeperStore> {
  const keeper = new ZkKeeper({ hosts: hosts ?? [server.connectionString], auth: auth ?? "", sessionTimeoutMs: sessionTimeoutMs ?? 2000, opTimeoutMs, log: options.log });
  const store = new ZooKeeperStore({
    keeper,
    snapshotPath: join(dir, `snapshot-${++counter}.json`),
    bootWaitMs: 5000,
    ...options,
  });
  stores.push(store);
  await store.start();
  return store;
}

function proxied(): TcpProxy {
  const proxy = startTcpProxy(server.port);
  proxies.push(proxy);
  return proxy;
}

runStoreContract("zookeeper", async () => {
  const path = freshPath();
  return { open: () => openStore({ path }) };
});

describe("zookeeper store and Bamboo", () => {
  test("creates the base path and writes nodes exactly as Bamboo does", async () => {
    const path = freshPath();
    const store = await openStore({ path });
    expect(await raw.exists(path)).toBe(true);
    await store.put(makeService("/grp/app1", "hdr(host) -i foo", { arb: "barb" }));
    expect(await raw.get(`${path}/%2Fgrp%2Fapp1`)).toBe('{"version":"2","config":{"Acl":"hdr(host) -i foo","arb":"barb"}}');
  });

  test("reads version-1 and version-2 nodes Bamboo wrote and skips unreadable ones", async () => {
    const path = freshPath();
    await raw.mkdirp(path);
    await raw.create(`${path}/%2Flegacy`, "hdr(host) -i legacy.example.com");
    await raw.create(`${path}/%2Fgrp%2Fapp1`, '{"version":"2","config":{"Acl":"hdr(host) -i foo","arb":"barb"}}');
    await raw.create(`${path}/%2Ffuture`, '{"version":"3","config":{"Acl":"x"}}');
    await raw.create(`${path}/%zz`, "not an escaped id");
    const warnings: string[] = [];
    const log = { info() {}, error() {}, warn: (m: string, f?: Record<string, unknown>) => warnings.push(`${m} ${JSON.stringify(f)}`) };
    const store = await openStore({ path, log });
    expect(store.list()).toEqual([
      makeService("/grp/app1", "hdr(host) -i foo", { arb: "barb" }),
      makeService("/legacy", "hdr(host) -i legacy.example.com"),
    ]);
    expect(warnings.some((w) => w.includes("%2Ffuture"))).toBe(true);
  });

  test("sees a Bamboo-style update (child, then base node) within a second", async () => {
    const path = freshPath();
    const store = await openStore({ path });
    await store.put(makeService("/a", "hdr(host) -i old"));
    await raw.set(`${path}/%2Fa`, '{"version":"2","config":{"Acl":"hdr(host) -i new"}}');
    await raw.set(path, "");
    await eventually(() => store.get("/a")?.acl === "hdr(host) -i new", "Bamboo's update", 1000);
  });
});

describe("zookeeper store instances sharing a path", () => {
  test("see each other's creates, updates and deletes within a second", async () => {
    const path = freshPath();
    const [one, two] = [await openStore({ path }), await openStore({ path })];
    const heard: number[] = [];
    two.watch((services) => heard.push(services.length));
    await one.put(makeService("/a", "hdr(host) -i a"));
    await eventually(() => two.get("/a")?.acl === "hdr(host) -i a", "the create", 1000);
    await one.put(makeService("/a", "hdr(host) -i a2", { extra: "1" }));
    await eventually(() => two.get("/a")?.config.extra === "1", "the update", 1000);
    await two.put(makeService("/b", "hdr(host) -i b"));
    await eventually(() => one.get("/b") !== undefined, "the reverse direction", 1000);
    await one.delete("/a");
    await eventually(() => two.get("/a") === undefined, "the delete", 1000);
    expect(heard.length).toBeGreaterThanOrEqual(4);
  });
});

describe("zookeeper store resilience", () => {
  test("keeps serving while the server is down, refuses writes, and reconnects when it is back", async () => {
    const path = freshPath();
    const store = await openStore({ path });
    await store.put(makeService("/a", "x"));
    await server.kill();
    await eventually(() => !store.status().connected, "the store to notice the outage");
    expect(store.list()).toEqual([makeService("/a", "x")]);
    await expect(store.put(makeService("/b", "y"))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.delete("/a")).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.list()).toEqual([makeService("/a", "x")]);
    await server.restart();
    await eventually(() => store.status().connected, "the reconnect", 10_000);
    raw.close();
    raw = await rawClient(server.connectionString);
    expect(await raw.exists(`${path}/%2Fb`)).toBe(false);
    await raw.create(`${path}/%2Fc`, "hdr(host) -i c");
    await eventually(() => store.get("/c") !== undefined, "a change made after the restart", 2000);
  }, SLOW_TEST_MS);

  test("after its session expires it opens a new one and re-arms its watches", async () => {
    const path = freshPath();
    const proxy = proxied();
    const store = await openStore({ path, hosts: [proxy.address] });
    await store.put(makeService("/a", "x"));
    const firstSession = store.status().session!;
    proxy.setMode("refuse");
    await eventually(() => !store.status().connected, "the partition to be noticed");
    await waitForExpiry(firstSession);
    await raw.create(`${path}/%2Fduring`, "hdr(host) -i during");
    proxy.setMode("pass");
    await eventually(() => store.status().connected && store.status().session !== firstSession, "a new session", 10_000);
    expect(store.get("/during")?.acl).toBe("hdr(host) -i during");
    await raw.create(`${path}/%2Fafter`, "hdr(host) -i after");
    await eventually(() => store.get("/after") !== undefined, "a watch on the new session", 1000);
  }, SLOW_TEST_MS);

  test("treats a server that stops answering as dead and recovers when it answers again", async () => {
    const path = freshPath();
    const proxy = proxied();
    const store = await openStore({ path, hosts: [proxy.address], opTimeoutMs: 500 });
    await store.put(makeService("/a", "x"));
    proxy.setMode("blackhole");
    await eventually(() => !store.status().connected, "the dead peer to be noticed", 5000);
    expect(store.status().lastError).toMatch(/answer/);
    expect(store.list()).toEqual([makeService("/a", "x")]);
    proxy.setMode("pass");
    await eventually(() => store.status().connected, "the recovery", 10_000);
    await raw.create(`${path}/%2Fb`, "y");
    await eventually(() => store.get("/b") !== undefined, "watches after recovery", 1000);
  }, SLOW_TEST_MS);

  test("boots from its snapshot when ZooKeeper is down and connects once it starts", async () => {
    const path = freshPath();
    const snapshotPath = join(dir, `boot-snapshot-${++counter}.json`);
    const first = await openStore({ path, snapshotPath });
    await first.put(makeService("/a", "x"));
    await first.put(makeService("/b", "y"));
    await first.close();
    await server.kill();
    const started = Date.now();
    const store = await openStore({ path, snapshotPath, bootWaitMs: 300 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(store.status().connected).toBe(false);
    expect(store.list().map((s) => s.id)).toEqual(["/a", "/b"]);
    await expect(store.put(makeService("/c", "z"))).rejects.toBeInstanceOf(StoreUnavailableError);
    await server.restart();
    await eventually(() => store.status().connected, "the connect after the server started", 10_000);
    raw.close();
    raw = await rawClient(server.connectionString);
    await store.put(makeService("/c", "z"));
    expect(await raw.get(`${path}/%2Fc`)).toBe('{"version":"2","config":{"Acl":"z"}}');
  }, SLOW_TEST_MS);
});

describe("zookeeper store failures that must not crash the process", () => {
  test("a peer that answers garbage is survived: the store keeps serving what it knows", async () => {
    const garbage = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          // A length prefix promising more than the frame holds trips the client's parser.
          socket.write(new Uint8Array([0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 255, 9]));
        },
        data() {},
      },
    });
    try {
      const store = await openStore({ path: freshPath(), hosts: [`127.0.0.1:${garbage.port}`], bootWaitMs: 300 });
      await eventually(() => (store.status().lastError ?? "").includes("client failed"), "the failure to be recorded");
      expect(store.status().connected).toBe(false);
      expect(store.list()).toEqual([]);
    } finally {
      garbage.stop(true);
    }
  });

  test("a chroot that does not exist is reported, not fatal", async () => {
    const store = await openStore({ path: freshPath(), hosts: [`${server.connectionString}/no-such-chroot`], bootWaitMs: 300 });
    await eventually(() => (store.status().lastError ?? "").includes("chroot /no-such-chroot"), "the chroot hint");
    await expect(store.put(makeService("/a", "x"))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  test("a chroot that exists is honoured", async () => {
    await raw.mkdirp(`/chroot${++counter}`);
    const chroot = `/chroot${counter}`;
    const store = await openStore({ path: "/state", hosts: [`${server.connectionString}${chroot}`] });
    await store.put(makeService("/a", "x"));
    expect(await raw.get(`${chroot}/state/%2Fa`)).toBe('{"version":"2","config":{"Acl":"x"}}');
  });
});

describe("zookeeper store digest auth", () => {
  test("only the configured identity can change routing rules; anyone can read them", async () => {
    const path = freshPath();
    const store = await openStore({ path, auth: "bamboo:s3cret" });
    await store.put(makeService("/a", "hdr(host) -i a"));
    const outsider = await rawClient(server.connectionString);
    try {
      expect(await outsider.get(`${path}/%2Fa`)).toBe('{"version":"2","config":{"Acl":"hdr(host) -i a"}}');
      await expect(outsider.set(`${path}/%2Fa`, "hijacked")).rejects.toThrow(/NO_AUTH/);
      await expect(outsider.create(`${path}/%2Fevil`, "x")).rejects.toThrow(/NO_AUTH/);
      await expect(outsider.remove(`${path}/%2Fa`)).rejects.toThrow(/NO_AUTH/);
    } finally {
      outsider.close();
    }
    const impostor = await openStore({ path, auth: "bamboo:wrong" });
    expect(impostor.get("/a")?.acl).toBe("hdr(host) -i a");
    await expect(impostor.put(makeService("/a", "x"))).rejects.toBeInstanceOf(StoreError);
    await expect(impostor.put(makeService("/new", "x"))).rejects.toThrow(/not authorised/);
    expect(store.get("/a")?.acl).toBe("hdr(host) -i a");
  }, SLOW_TEST_MS);
});

/** Polls the server's session list until `session` is gone (expired server-side). */
async function waitForExpiry(session: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const sessions = await server.sessions();
    if (!sessions.includes(session)) return;
    if (Date.now() > deadline) throw new Error(`session ${session} still alive: ${sessions.join(", ")}`);
    await Bun.sleep(100);
  }
}
