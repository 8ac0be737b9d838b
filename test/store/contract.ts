/**
 * The behaviour every {@link Store} promises, run by each backend's test file.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { makeService, type Service, type Store } from "../../src/store/types.ts";

/** Opens started stores over one shared, initially empty storage location. */
export interface StoreBackend {
  open(): Promise<Store>;
}

/** Polls `check` until it returns true or the deadline passes; no fixed sleeps. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/**
 * Registers the contract suite.
 * @param name - backend name shown in the test report.
 * @param makeBackend - called once per test for fresh, isolated storage.
 */
export function runStoreContract(name: string, makeBackend: () => Promise<StoreBackend>): void {
  describe(`${name} store contract`, () => {
    const opened: Store[] = [];
    let backend: StoreBackend | undefined;

    async function open(): Promise<Store> {
      if (!backend) throw new Error("call fresh() first");
      const store = await backend.open();
      opened.push(store);
      return store;
    }

    async function fresh(): Promise<Store> {
      backend = await makeBackend();
      return open();
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    test("starts empty", async () => {
      const store = await fresh();
      expect(store.list()).toEqual([]);
      expect(store.get("/nope")).toBeUndefined();
    });

    test("put makes a service readable by id and in the id-sorted list", async () => {
      const store = await fresh();
      await store.put(makeService("/b", "hdr(host) -i b.local"));
      await store.put(makeService("/a", "hdr(host) -i a.local"));
      expect(store.get("/a")).toEqual(makeService("/a", "hdr(host) -i a.local"));
      expect(store.list().map((s) => s.id)).toEqual(["/a", "/b"]);
    });

    test("the list stays sorted by id whatever order services are put and deleted in", async () => {
      const store = await fresh();
      for (const id of ["/m", "/c", "/x", "/a", "/m/n", "/d", "/z"]) await store.put(makeService(id, `hdr(host) -i ${id.slice(1).replace("/", "-")}.local`));
      await store.put(makeService("/d", "hdr(host) -i d2.local"));
      await store.delete("/x");
      expect(store.list().map((s) => s.id)).toEqual(["/a", "/c", "/d", "/m", "/m/n", "/z"]);
      expect(store.get("/d")?.acl).toBe("hdr(host) -i d2.local");
    });

    test("put replaces an existing service", async () => {
      const store = await fresh();
      await store.put(makeService("/a", "hdr(host) -i old", { weight: "1" }));
      await store.put(makeService("/a", "hdr(host) -i new"));
      expect(store.list()).toEqual([makeService("/a", "hdr(host) -i new")]);
    });

    test("delete removes a service and reports whether there was one", async () => {
      const store = await fresh();
      await store.put(makeService("/a", "x"));
      expect(await store.delete("/a")).toBe(true);
      expect(await store.delete("/a")).toBe(false);
      expect(store.list()).toEqual([]);
    });

    const oddIds = ["/grp/app1", "/deep/nested/group/app", "/with space/and+plus", "/üñï/çødé", "/100%/a&b?c=d#e"];
    test.each(oddIds)("id %p survives a round trip", async (id) => {
      const store = await fresh();
      await store.put(makeService(id, "path_beg -i /x"));
      expect(store.get(id)?.id).toBe(id);
      const other = await open();
      expect(other.get(id)).toEqual(makeService(id, "path_beg -i /x"));
    });

    test("unknown config keys are kept and Acl mirrors acl", async () => {
      const store = await fresh();
      const service = makeService("/a", "hdr(host) -i a", { arb: "barb", "X-Custom": "<&>" });
      await store.put(service);
      const other = await open();
      expect(other.get("/a")).toEqual(service);
      expect(other.get("/a")?.config).toEqual({ Acl: "hdr(host) -i a", arb: "barb", "X-Custom": "<&>" });
    });

    test("an empty acl (the default path rule) is kept as empty", async () => {
      const store = await fresh();
      await store.put(makeService("/a", "", { note: "default rule" }));
      const other = await open();
      expect(other.get("/a")).toEqual({ id: "/a", acl: "", config: { note: "default rule" } });
    });

    test("a restarted store serves what was written before", async () => {
      const store = await fresh();
      await store.put(makeService("/a", "x"));
      await store.put(makeService("/b", "y"));
      await store.delete("/a");
      await store.close();
      const again = await open();
      expect(again.list()).toEqual([makeService("/b", "y")]);
    });

    test("watchers get the full list after every change until they unsubscribe", async () => {
      const store = await fresh();
      const seen: (readonly Service[])[] = [];
      const stop = store.watch((services) => seen.push(services));
      await store.put(makeService("/a", "x"));
      await eventually(() => seen.length >= 1, "first notification");
      await store.put(makeService("/b", "y"));
      await eventually(() => seen.at(-1)?.length === 2, "second notification");
      await store.delete("/a");
      await eventually(() => seen.at(-1)?.length === 1, "notification after delete");
      expect(seen.at(-1)).toEqual([makeService("/b", "y")]);
      stop();
      const count = seen.length;
      await store.put(makeService("/c", "z"));
      expect(seen.length).toBe(count);
    });

    test("concurrent writes all land", async () => {
      const store = await fresh();
      const ids = Array.from({ length: 20 }, (_, i) => `/app${String(i).padStart(2, "0")}`);
      await Promise.all(ids.map((id) => store.put(makeService(id, `hdr(host) -i ${id.slice(1)}`))));
      expect(store.list().map((s) => s.id)).toEqual(ids);
      const other = await open();
      expect(other.list().map((s) => s.id)).toEqual(ids);
    });

    test("status reports the backend and a last sync time", async () => {
      const store = await fresh();
      const status = store.status();
      expect(status.kind).toBe(name === "file" ? "file" : "zookeeper");
      expect(status.connected).toBe(true);
      expect(status.lastSync).not.toBeNull();
    });
  });
}
