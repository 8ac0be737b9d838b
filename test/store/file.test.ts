import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "../../src/store/file.ts";
import { makeService, StoreError, StoreUnavailableError } from "../../src/store/types.ts";
import { runStoreContract } from "./contract.ts";

const root = await mkdtemp(join(tmpdir(), "bamboo-file-store-"));
let counter = 0;

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function started(path: string): Promise<FileStore> {
  const store = new FileStore(path);
  await store.start();
  return store;
}

runStoreContract("file", async () => {
  const path = join(root, `contract-${++counter}`, "services.json");
  return { open: () => started(path) };
});

describe("file store", () => {
  test("writes a readable JSON file and leaves no temp files behind", async () => {
    const dir = join(root, `layout-${++counter}`);
    const store = await started(join(dir, "services.json"));
    await store.put(makeService("/grp/app", "hdr(host) -i app", { arb: "barb" }));
    expect(await readdir(dir)).toEqual(["services.json"]);
    const written = JSON.parse(await readFile(join(dir, "services.json"), "utf8"));
    expect(written).toEqual({
      format: "bamboo-services/1",
      services: [{ id: "/grp/app", acl: "hdr(host) -i app", config: { Acl: "hdr(host) -i app", arb: "barb" } }],
    });
  });

  test("one service per line: the file diffs and greps well", async () => {
    const dir = join(root, `lines-${++counter}`);
    const store = await started(join(dir, "services.json"));
    await store.put(makeService("/b", "hdr(host) -i b.local"));
    await store.put(makeService("/a", "path_beg -i /a"));
    await store.put(makeService("/b", "hdr(host) -i b2.local"));
    expect(await readFile(join(dir, "services.json"), "utf8")).toBe(
      [
        '{"format":"bamboo-services/1","services":[',
        '{"id":"/a","acl":"path_beg -i /a","config":{"Acl":"path_beg -i /a"}},',
        '{"id":"/b","acl":"hdr(host) -i b2.local","config":{"Acl":"hdr(host) -i b2.local"}}',
        "]}",
        "",
      ].join("\n"),
    );
    await store.delete("/a");
    await store.delete("/b");
    expect(JSON.parse(await readFile(join(dir, "services.json"), "utf8"))).toEqual({ format: "bamboo-services/1", services: [] });
  });

  test("a corrupt file stops start-up with an error naming the file, and is left untouched", async () => {
    const path = join(root, `corrupt-${++counter}.json`);
    await writeFile(path, '{"format":"bamboo-services/1","services":[{"id":"/a"');
    const store = new FileStore(path);
    const error = await store.start().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toContain(path);
    expect(await readFile(path, "utf8")).toBe('{"format":"bamboo-services/1","services":[{"id":"/a"');
  });

  test("a file of another shape is refused rather than read as empty", async () => {
    const path = join(root, `foreign-${++counter}.json`);
    await writeFile(path, '{"/a": {"Acl": "x"}}');
    await expect(new FileStore(path).start()).rejects.toThrow(/format/);
  });

  test("a failed write throws StoreUnavailableError and changes nothing", async () => {
    const dir = join(root, `vanishing-${++counter}`);
    const store = await started(join(dir, "services.json"));
    await store.put(makeService("/a", "x"));
    // A file where the directory was makes every write fail, even for root.
    await rm(dir, { recursive: true });
    await writeFile(dir, "not a directory");
    await expect(store.put(makeService("/b", "y"))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.delete("/a")).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.list()).toEqual([makeService("/a", "x")]);
    expect(store.status().lastError).toContain("services.json");
  });
});
