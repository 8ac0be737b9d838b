import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CertificateFileStore, CertificateList, MAX_STORED_CERTIFICATES, MAX_STORED_PEM_BYTES, storeRefusal } from "../../src/store/certificate-file-store.ts";
import { CertificateZkStore, certificatesZkPath, ZK_MAX_CERTIFICATE_BYTES, type CertificateZkStoreOptions } from "../../src/store/certificate-zk-store.ts";
import { createCertificateStore, type CertificateStore, type StoredCertificate } from "../../src/store/certificates.ts";
import { StoreError, StoreUnavailableError } from "../../src/store/types.ts";
import { ZkKeeper, type ZkKeeperOptions } from "../../src/store/zk-keeper.ts";
import { selfSignedCertificate } from "../../src/tls/self-signed.ts";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper.ts";
import { eventually } from "./contract.ts";
import { rawClient, type RawZk } from "./raw-zk.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

let server: ZooKeeperServer;
let raw: RawZk;
let root: string;
let counter = 0;
const opened: CertificateStore[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  [server, root] = await Promise.all([startZooKeeper(), mkdtemp(join(tmpdir(), "bamboo-cert-stores-"))]);
  raw = await rawClient(server.connectionString);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  for (const proxy of proxies.splice(0)) proxy.stop();
});

afterAll(async () => {
  raw?.close();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

// Outage tests wait for reconnects; bun kills a timed-out test's child processes.
const SLOW_TEST_MS = 20_000;
const now = new Date();
const pemFor = (host: string) => selfSignedCertificate({ hosts: [host], now });
const shop = { name: "shop", pem: pemFor("shop.test") };
const blog = { name: "blog", pem: pemFor("blog.test") };

interface Logged {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

function recordingLog(into: Logged[]) {
  return {
    info: (message: string, fields?: Record<string, unknown>) => into.push({ level: "info", message, fields }),
    warn: (message: string, fields?: Record<string, unknown>) => into.push({ level: "warn", message, fields }),
    error: (message: string, fields?: Record<string, unknown>) => into.push({ level: "error", message, fields }),
  };
}

async function started<T extends CertificateStore>(store: T): Promise<T> {
  opened.push(store);
  await store.start();
  return store;
}

function fileStore(dir: string, log?: Logged[]): Promise<CertificateFileStore> {
  return started(new CertificateFileStore(dir, log ? recordingLog(log) : undefined));
}

type ZkStoreOptions = Partial<Omit<CertificateZkStoreOptions, "keeper"> & Omit<ZkKeeperOptions, "log">> & { path: string; log?: never };

/** A started store on a session of its own. */
function zkStore({ hosts, auth, sessionTimeoutMs, opTimeoutMs, ...options }: ZkStoreOptions, log?: Logged[]): Promise<CertificateZkStore> {
  const recording = log ? recordingLog(log) : undefined;
  const keeper = new ZkKeeper({ hosts: hosts ?? [server.connectionString], auth: auth ?? "", sessionTimeoutMs: sessionTimeoutMs ?? 2000, opTimeoutMs, log: recording });
  return started(
    new CertificateZkStore({
      keeper,
      snapshotPath: join(root, `snapshot-${++counter}.json`),
      ...options,
      log: recording,
    }),
  );
}

const freshZkPath = () => `/bamboo-test/run${++counter}/state-certificates`;

/** Opens started stores over one shared, initially empty storage location. */
interface Backend {
  readonly kind: "file" | "zookeeper";
  readonly maxBytes: number;
  open(): Promise<CertificateStore>;
}

function runCertificateStoreContract(kind: Backend["kind"], makeBackend: () => Backend): void {
  describe(`${kind} certificate store contract`, () => {
    test("starts empty", async () => {
      const store = await makeBackend().open();
      expect(store.list()).toEqual([]);
      expect(store.get("shop")).toBeUndefined();
      expect(store.status()).toEqual({ kind, connected: true, lastError: null });
    });

    test("put makes a certificate readable by name and in the name-sorted list", async () => {
      const store = await makeBackend().open();
      await store.put(shop);
      await store.put(blog);
      expect(store.get("shop")).toEqual(shop);
      expect(store.list()).toEqual([blog, shop]);
    });

    test("put replaces, delete removes and says whether there was one", async () => {
      const store = await makeBackend().open();
      const renewed = { name: "shop", pem: pemFor("shop.test") };
      await store.put(shop);
      await store.put(renewed);
      expect(store.list()).toEqual([renewed]);
      expect(await store.delete("shop")).toBe(true);
      expect(await store.delete("shop")).toBe(false);
      expect(await store.delete("never-was")).toBe(false);
      expect(store.list()).toEqual([]);
    });

    test("a restarted store serves what was written before", async () => {
      const backend = makeBackend();
      const store = await backend.open();
      await store.put(shop);
      await store.put(blog);
      await store.delete("blog");
      await store.close();
      const again = await backend.open();
      expect(again.list()).toEqual([shop]);
    });

    test("watchers get the full list after every change until they unsubscribe", async () => {
      const store = await makeBackend().open();
      const seen: (readonly StoredCertificate[])[] = [];
      const stop = store.watch((certificates) => seen.push(certificates));
      await store.put(shop);
      await eventually(() => seen.at(-1)?.length === 1, "the first notification");
      await store.put(blog);
      await eventually(() => seen.at(-1)?.length === 2, "the second notification");
      await store.delete("shop");
      await eventually(() => seen.at(-1)?.length === 1, "the notification after the delete");
      expect(seen.at(-1)).toEqual([blog]);
      stop();
      const count = seen.length;
      await store.put(shop);
      expect(seen.length).toBe(count);
    });

    test("concurrent writes all land", async () => {
      const backend = makeBackend();
      const store = await backend.open();
      const names = Array.from({ length: 12 }, (_, i) => `cert-${String(i).padStart(2, "0")}`);
      await Promise.all(names.map((name) => store.put({ name, pem: shop.pem })));
      expect(store.list().map((c) => c.name)).toEqual(names);
      const other = await backend.open();
      expect(other.list().map((c) => c.name)).toEqual(names);
    });

    test.each([
      ["a name with upper case", { name: "Shop", pem: shop.pem }, "'S' is not allowed"],
      ["a name with a slash", { name: "a/b", pem: shop.pem }, "'/' is not allowed"],
      ["an empty name", { name: "", pem: shop.pem }, "a certificate name is needed"],
    ])("refuses %s with a StoreError, storing nothing", async (_name, certificate, message) => {
      const store = await makeBackend().open();
      const error = await store.put(certificate).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toContain(message);
      expect(store.list()).toEqual([]);
    });

    test("refuses a body larger than the backend holds, saying how large it was", async () => {
      const backend = makeBackend();
      const store = await backend.open();
      const pem = `${shop.pem}${" ".repeat(backend.maxBytes - shop.pem.length + 1)}`;
      const error = await store.put({ name: "huge", pem }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toContain(`its PEM is ${backend.maxBytes + 1} bytes`);
      expect(store.list()).toEqual([]);
    });
  });
}

runCertificateStoreContract("file", () => {
  const dir = join(root, `contract-${++counter}`, "certificates");
  return { kind: "file", maxBytes: MAX_STORED_PEM_BYTES, open: () => fileStore(dir) };
});

runCertificateStoreContract("zookeeper", () => {
  const path = freshZkPath();
  const snapshotPath = join(root, `contract-snapshot-${++counter}.json`);
  return { kind: "zookeeper", maxBytes: ZK_MAX_CERTIFICATE_BYTES, open: () => zkStore({ path, snapshotPath }) };
});

describe("storeRefusal", () => {
  test(`a new name past ${MAX_STORED_CERTIFICATES} certificates is refused; replacing one is not`, () => {
    const list = new CertificateList();
    list.replaceAll(Array.from({ length: MAX_STORED_CERTIFICATES }, (_, i) => ({ name: `c${i}`, pem: "x" })));
    expect(storeRefusal({ name: "one-more", pem: "x" }, list, 100, "test")?.message).toContain(`already holds ${MAX_STORED_CERTIFICATES} certificates; delete ones no longer served`);
    expect(storeRefusal({ name: "c7", pem: "y" }, list, 100, "test")).toBeNull();
  });
});

describe("certificate file store", () => {
  const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

  test("keeps one private file per certificate in a private directory, with no temp files left", async () => {
    const dir = join(root, `modes-${++counter}`, "certificates");
    const store = await fileStore(dir);
    await store.put(shop);
    await store.put({ name: "shop", pem: blog.pem });
    expect(await readdir(dir)).toEqual(["shop.pem"]);
    expect(await Bun.file(join(dir, "shop.pem")).text()).toBe(blog.pem);
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(join(dir, "shop.pem"))).toBe(0o600);
  });

  test("loads good files and logs and skips the ones it cannot use", async () => {
    const dir = join(root, `mixed-${++counter}`);
    await mkdir(dir);
    await writeFile(join(dir, "shop.pem"), shop.pem);
    await writeFile(join(dir, "notes.pem"), "hello");
    await writeFile(join(dir, "Upper.pem"), blog.pem);
    await writeFile(join(dir, "huge.pem"), `${shop.pem}${" ".repeat(MAX_STORED_PEM_BYTES)}`);
    await mkdir(join(dir, "folder.pem"));
    await writeFile(join(dir, "README"), "not a certificate");
    const log: Logged[] = [];
    const store = await fileStore(dir, log);
    expect(store.list()).toEqual([shop]);
    const skipped = log.filter((entry) => entry.level === "warn").map((entry) => `${entry.fields?.file}: ${entry.fields?.reason}`);
    expect(skipped).toEqual([
      `${join(dir, "Upper.pem")}: certificate name 'Upper': 'U' is not allowed (write 'u'); use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit`,
      `${join(dir, "folder.pem")}: not a regular file`,
      `${join(dir, "huge.pem")}: ${MAX_STORED_PEM_BYTES + shop.pem.length} bytes, more than ${MAX_STORED_PEM_BYTES}`,
      `${join(dir, "notes.pem")}: no PEM block in it`,
    ]);
  });

  test("tightens a directory and files that others could read, and removes a crashed write's temp file", async () => {
    const dir = join(root, `loose-${++counter}`);
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await writeFile(join(dir, "shop.pem"), shop.pem, { mode: 0o644 });
    await chmod(join(dir, "shop.pem"), 0o644);
    await writeFile(join(dir, ".blog.pem.tmp-1-abc"), "half a write");
    const store = await fileStore(dir);
    expect(store.list()).toEqual([shop]);
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(join(dir, "shop.pem"))).toBe(0o600);
    expect(await readdir(dir)).toEqual(["shop.pem"]);
  });

  test("a failed write throws StoreUnavailableError and changes nothing", async () => {
    const dir = join(root, `vanishing-${++counter}`);
    const store = await fileStore(dir);
    await store.put(shop);
    // A file where the directory was makes every write fail, even for root.
    await rm(dir, { recursive: true });
    await writeFile(dir, "not a directory");
    await expect(store.put(blog)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.delete("shop")).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.list()).toEqual([shop]);
    expect(store.status().lastError).toContain(dir);
  });

  test("a directory it cannot create is reported, not thrown", async () => {
    const blocker = join(root, `blocker-${++counter}`);
    await writeFile(blocker, "a file, not a directory");
    const store = await fileStore(join(blocker, "certificates"));
    expect(store.list()).toEqual([]);
    expect(store.status().lastError).toContain("cannot use the certificate directory");
  });
});

describe("certificate ZooKeeper layout", () => {
  test.each([
    ["/marathon-haproxy/state", "/marathon-haproxy/state-certificates"],
    ["/marathon-haproxy/state/", "/marathon-haproxy/state-certificates"],
    ["/state", "/state-certificates"],
  ])("services at %p keep certificates at %p, beside them and not under them", (services, certificates) => {
    expect(certificatesZkPath(services)).toBe(certificates);
  });

  test("the root has no sibling: the message says what to set", () => {
    expect(() => certificatesZkPath("/")).toThrow("set BAMBOO_ZK_PATH");
  });

  test("createCertificateStore picks ZooKeeper beside the services node, or files in the data directory", async () => {
    const dataDir = join(root, `factory-${++counter}`);
    const services = `/bamboo-test/factory${counter}/state`;
    const log = recordingLog([]);
    const zk = await started(createCertificateStore({ zookeeper: { hosts: [server.connectionString], path: services, auth: "" }, dataDir, log }));
    await zk.put(shop);
    expect(await raw.get(`${services}-certificates/shop`)).toBe(shop.pem);
    expect(await raw.exists(services)).toBe(false);
    await zk.close();
    expect(await Bun.file(join(dataDir, "zookeeper-certificates.json")).exists()).toBe(true);

    const file = await started(createCertificateStore({ zookeeper: { hosts: [], path: services, auth: "" }, dataDir, log }));
    await file.put(blog);
    expect(file.status().kind).toBe("file");
    expect(await Bun.file(join(dataDir, "certificates", "blog.pem")).text()).toBe(blog.pem);
  });
});

describe("certificate ZooKeeper store", () => {
  test("writes the PEM as the node's data, under the certificate's name", async () => {
    const path = freshZkPath();
    const store = await zkStore({ path });
    await store.put(shop);
    expect(await raw.get(`${path}/shop`)).toBe(shop.pem);
  });

  test("two instances see each other's creates, updates and deletes", async () => {
    const path = freshZkPath();
    const [one, two] = [await zkStore({ path }), await zkStore({ path })];
    const heard: number[] = [];
    two.watch((certificates) => heard.push(certificates.length));
    await one.put(shop);
    await eventually(() => two.get("shop")?.pem === shop.pem, "the create", 1000);
    const renewed = pemFor("shop.test");
    await one.put({ name: "shop", pem: renewed });
    await eventually(() => two.get("shop")?.pem === renewed, "the update", 1000);
    await two.put(blog);
    await eventually(() => one.get("blog") !== undefined, "the reverse direction", 1000);
    await one.delete("shop");
    await eventually(() => two.get("shop") === undefined, "the delete", 1000);
    expect(heard.length).toBeGreaterThanOrEqual(4);
  });

  test("without auth it warns once, at start, that anyone reaching ZooKeeper can read the keys", async () => {
    const log: Logged[] = [];
    const store = await zkStore({ path: freshZkPath() }, log);
    await store.put(shop);
    const warnings = log.filter((entry) => entry.level === "warn").map((entry) => entry.message);
    expect(warnings).toEqual(["certificates in ZooKeeper are not protected: anyone who can reach ZooKeeper can read their private keys; set BAMBOO_ZK_AUTH"]);
  });

  test("with auth, only the digest identity can read or change certificates", async () => {
    const path = freshZkPath();
    const log: Logged[] = [];
    const store = await zkStore({ path, auth: "bamboo:s3cret" }, log);
    await store.put(shop);
    expect(log.filter((entry) => entry.level === "warn")).toEqual([]);
    const outsider = await rawClient(server.connectionString);
    try {
      await expect(outsider.get(`${path}/shop`)).rejects.toThrow(/NO_AUTH/);
      await expect(outsider.get(path)).rejects.toThrow(/NO_AUTH/);
      await expect(outsider.set(`${path}/shop`, "hijacked")).rejects.toThrow(/NO_AUTH/);
      await expect(outsider.create(`${path}/evil`, "x")).rejects.toThrow(/NO_AUTH/);
    } finally {
      outsider.close();
    }
    const insider = await rawClient(server.connectionString, "bamboo:s3cret");
    try {
      expect(await insider.get(`${path}/shop`)).toBe(shop.pem);
    } finally {
      insider.close();
    }
    const impostor = await zkStore({ path, auth: "bamboo:wrong", bootWaitMs: 500 });
    expect(impostor.list()).toEqual([]);
    expect(impostor.status().connected).toBe(false);
    await eventually(() => (impostor.status().lastError ?? "").includes("NO_AUTH"), "the refused read");
    expect(impostor.status().lastError).toContain("can be read only with the BAMBOO_ZK_AUTH credentials that wrote them");
  });

  test("skips nodes others put there under unusable names or without a PEM, with a warning", async () => {
    const path = freshZkPath();
    await raw.mkdirp(path);
    await raw.create(`${path}/shop`, shop.pem);
    await raw.create(`${path}/Upper`, blog.pem);
    await raw.create(`${path}/empty`, "");
    const log: Logged[] = [];
    const store = await zkStore({ path }, log);
    expect(store.list()).toEqual([shop]);
    const skipped = log.filter((entry) => entry.message.startsWith("skipping")).map((entry) => String(entry.fields?.path));
    expect(skipped.sort()).toEqual([`${path}/Upper`, `${path}/empty`]);
  });

  test("serves its private snapshot when ZooKeeper is down at start, and catches up when it is back", async () => {
    const path = freshZkPath();
    const snapshotPath = join(root, `boot-${++counter}`, "zookeeper-certificates.json");
    const first = await zkStore({ path, snapshotPath });
    await first.put(shop);
    await first.put(blog);
    await first.close();
    expect((await stat(snapshotPath)).mode & 0o777).toBe(0o600);
    await server.kill();
    const store = await zkStore({ path, snapshotPath, bootWaitMs: 300 });
    expect(store.status().connected).toBe(false);
    expect(store.list()).toEqual([blog, shop]);
    await expect(store.put({ name: "late", pem: shop.pem })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.delete("shop")).rejects.toBeInstanceOf(StoreUnavailableError);
    await server.restart();
    await eventually(() => store.status().connected, "the connect after the server started", 10_000);
    raw.close();
    raw = await rawClient(server.connectionString);
    await raw.remove(`${path}/blog`);
    await eventually(() => store.get("blog") === undefined, "a change made after the restart", 2000);
    await store.put({ name: "late", pem: shop.pem });
    expect(await raw.get(`${path}/late`)).toBe(shop.pem);
  }, SLOW_TEST_MS);

  test("after its session expires it opens a new one, catches up and re-arms its watches", async () => {
    const path = freshZkPath();
    const proxy = startTcpProxy(server.port);
    proxies.push(proxy);
    const before = new Set(await server.sessions());
    const store = await zkStore({ path, hosts: [proxy.address] });
    await store.put(shop);
    const mine = (await server.sessions()).filter((session) => !before.has(session));
    expect(mine).toHaveLength(1);
    proxy.setMode("refuse");
    await eventually(() => !store.status().connected, "the partition to be noticed");
    // Only once the server has dropped the session is it gone for good, so the store must open a new one.
    const deadline = Date.now() + 15_000;
    while ((await server.sessions()).includes(mine[0]!)) {
      if (Date.now() > deadline) throw new Error(`session ${mine[0]} still alive`);
      await Bun.sleep(100);
    }
    await raw.create(`${path}/during`, blog.pem);
    proxy.setMode("pass");
    await eventually(() => store.status().connected, "a new session", 10_000);
    expect(store.get("during")?.pem).toBe(blog.pem);
    await raw.create(`${path}/after`, shop.pem);
    await eventually(() => store.get("after") !== undefined, "a watch on the new session", 1000);
  }, SLOW_TEST_MS);

  test("a corrupt snapshot is logged and ignored, not fatal", async () => {
    const snapshotPath = join(root, `corrupt-${++counter}.json`);
    await writeFile(snapshotPath, "{not json");
    const log: Logged[] = [];
    const store = await zkStore({ path: freshZkPath(), snapshotPath }, log);
    expect(store.status().connected).toBe(true);
    expect(log.some((entry) => entry.message === "ignoring the ZooKeeper certificates snapshot")).toBe(true);
  });
});
