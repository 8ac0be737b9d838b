import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Router } from "../../src/http/router.ts";
import { mountServicesApi } from "../../src/http/services-api.ts";
import { DEFAULT_POLICY } from "../../src/routing/acl/index.ts";
import { FileStore } from "../../src/store/file.ts";

const dir = await mkdtemp(join(tmpdir(), "bamboo-services-api-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

test.each([
  ["HAProxy could not be asked (a hung haproxy -c)", "could not run haproxy: timed out after 10000 ms", 503, "could not be checked, try again"],
  ["HAProxy refused the rule", "parsing [x:1] : error detected while parsing ACL", 400, "error detected"],
])("a rule write when %s answers %i and stores nothing", async (_name, message, status, text) => {
  const store = new FileStore(join(dir, `${status}.json`));
  await store.start();
  const router = new Router((error) => {
    throw error;
  });
  mountServicesApi(router, { store, aclChecker: { check: async () => ({ ok: false, message }) }, policy: DEFAULT_POLICY, routedRules: () => ({ rules: new Map(), fromLabels: new Set() }), applied: async () => "pending" as const });
  const response = await router.handle(
    new Request("http://127.0.0.1/api/services", {
      method: "POST",
      headers: { authorization: `Basic ${btoa("admin:pw")}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "/a", acl: "hdr(host) -i a.example" }),
    }),
  );
  expect(response.status).toBe(status);
  expect(((await response.json()) as { error: string }).error).toContain(text);
  expect(store.list()).toEqual([]);
});

test.each([
  ["an escaped space in a path", "path_beg /a\\ b", "the character ' ' (space, U+0020)"],
  ["a quoted space in a host", "hdr(host) -i 'a b.example'", "the character ' ' (space, U+0020)"],
  ["a tab", "path_beg /a\tb", "control character 0x09"],
  ["a non-ASCII host", "hdr(host) -i é.example", "non-ASCII character 'é'"],
])("a rule with %s, which no map file could hold as a key, answers 400 naming the character", async (_name, acl, text) => {
  const store = new FileStore(join(dir, `keys-${text.length}-${acl.length}.json`));
  await store.start();
  const router = new Router((error) => {
    throw error;
  });
  mountServicesApi(router, { store, aclChecker: { check: async () => ({ ok: true }) }, policy: DEFAULT_POLICY, routedRules: () => ({ rules: new Map(), fromLabels: new Set() }), applied: async () => "pending" as const });
  const response = await router.handle(
    new Request("http://127.0.0.1/api/services", {
      method: "POST",
      headers: { authorization: `Basic ${btoa("admin:pw")}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "/a", acl }),
    }),
  );
  expect(response.status).toBe(400);
  expect(((await response.json()) as { error: string }).error).toContain(text);
  expect(store.list()).toEqual([]);
});
