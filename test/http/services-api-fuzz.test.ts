import { afterAll, expect, test } from "bun:test";
import fc from "fast-check";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AclChecker } from "../../src/haproxy/acl-check.ts";
import { compileTemplate, loadTemplateSource } from "../../src/haproxy/template.ts";
import { writeMapFiles } from "../../src/haproxy/map-files.ts";
import { validateConfig } from "../../src/haproxy/validate.ts";
import { Router } from "../../src/http/router.ts";
import { mountServicesApi } from "../../src/http/services-api.ts";
import { DEFAULT_POLICY } from "../../src/routing/acl/index.ts";
import { toTemplateData, type HAProxyTemplateSettings } from "../../src/routing/template-data.ts";
import { FileStore } from "../../src/store/file.ts";
import { app, TEMPLATE_SETTINGS } from "../routing/builders.ts";

const dir = await mkdtemp(join(tmpdir(), "bamboo-fuzz-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const store = new FileStore(join(dir, "services.json"));
await store.start();
const router = new Router((error) => {
  throw error;
});
mountServicesApi(router, { store, aclChecker: new AclChecker("haproxy"), policy: DEFAULT_POLICY, routedRules: () => ({ rules: new Map(), fromLabels: new Set() }), applied: async () => "pending" as const });
const auth = { authorization: `Basic ${btoa("admin:pw")}` };
const { name, source } = await loadTemplateSource("");
const render = compileTemplate(name, source);
const SETTINGS: HAProxyTemplateSettings = {
  ...TEMPLATE_SETTINGS,
  HttpBind: "127.0.0.1:1",
  BindHost: "127.0.0.1",
  StatsSocket: join(dir, "s.sock"),
  StatsPageSocket: join(dir, "p.sock"),
  ServerStateFile: join(dir, "state"),
  MapDir: dir,
  MaxConn: 100,
  TimeoutConnect: "1s",
  TimeoutClient: "1s",
  TimeoutServer: "1s",
  TimeoutTunnel: "1s",
  HardStopAfter: "1s",
};

const ACL = fc.oneof(
  fc.constantFrom("hdr(host) -i a.example.com", "path_beg -i /x", "path_beg -i /", "hdr(host) -i a.example.com\n    stats enable", "hdr_end(host) -i .example.com", "path_reg ^/.*", "hdr(host) -q x", "always_true", ""),
  fc.array(fc.constantFrom("hdr(host)", "path_beg", "path_dir", "-i", "-m", "beg", "--", "/a", "/a/b", "b.example.com", "#", "'x y'", "{", "\t"), { maxLength: 5 }).map((w) => w.join(" ")),
  fc.string({ maxLength: 40 }),
);
const ID = fc.oneof(fc.constantFrom("/a", "a", "/grp/app", "", "/", "/a b", "//x", "/a\nb"), fc.string({ maxLength: 20 }));
const BODY = fc.oneof(
  fc.record({ id: ID, acl: ACL }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  fc.record({ Id: ID, Config: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 20 }), fc.integer())) }).map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 80 }),
);
const RANDOM_REQUEST = fc.record({
  method: fc.constantFrom("POST", "PUT", "DELETE"),
  urlId: fc.option(ID, { nil: undefined }),
  query: fc.constantFrom("", "?dryRun=true", "?allowOverlap=true", "?dryRun=maybe"),
  body: BODY,
  authed: fc.boolean(),
});
/** Writes a team would really send, so the accepting path is exercised on every run, not by luck. */
const PLAUSIBLE_WRITE = fc
  .record({ team: fc.constantFrom("shop", "blog", "api", "grp/app"), kind: fc.constantFrom("host", "path"), query: fc.constantFrom("", "?dryRun=true", "?allowOverlap=true") })
  .map(({ team, kind, query }) => ({
    method: "POST" as const,
    urlId: undefined,
    query,
    body: JSON.stringify({ id: `/${team}`, acl: kind === "host" ? `hdr(host) -i ${team.replace("/", "-")}.example.com` : `path_beg -i /${team}` }),
    authed: true,
  }));
const REQUEST = fc.oneof({ weight: 1, arbitrary: PLAUSIBLE_WRITE }, { weight: 3, arbitrary: RANDOM_REQUEST });

test("random writes never cause a 5xx, a refusal changes nothing, and every stored rule renders a config HAProxy accepts", async () => {
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(REQUEST, async ({ method, urlId, query, body, authed }) => {
      const path = method === "POST" || urlId === undefined ? "/api/services" : `/api/services/${encodeURIComponent(urlId).replaceAll("%2F", "/")}`;
      const before = JSON.stringify(store.list());
      const response = await router.handle(
        new Request(`http://bamboo.test${path}${query}`, { method, headers: { "content-type": "application/json", ...(authed ? auth : {}) }, body: method === "DELETE" ? undefined : body }),
      );
      expect(response.status).toBeLessThan(500);
      const payload = await response.text();
      expect(() => JSON.parse(payload)).not.toThrow();
      const changed = JSON.stringify(store.list()) !== before;
      if (response.status >= 400 || query.includes("dryRun=true")) expect(changed).toBe(false);
      if (response.ok && method !== "DELETE" && !query.includes("dryRun")) {
        accepted++;
        const stored = JSON.parse(payload) as { Id: string };
        const file = join(dir, "haproxy.cfg");
        const data = toTemplateData([app({ id: stored.Id })], store.list(), SETTINGS);
        // Whatever the API accepted reaches the map files HAProxy reads as keys it can hold.
        await writeMapFiles(data.Maps.map((map) => ({ path: map.Path, entries: map.Entries.map((entry) => ({ key: entry.Key, value: entry.Value })) })));
        await writeFile(file, render(data));
        expect(await validateConfig("haproxy", file)).toEqual({ ok: true });
      }
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
  );
  // The generators must reach the accepting path too, or the last property proves nothing.
  expect(accepted).toBeGreaterThan(0);
}, 120_000);
