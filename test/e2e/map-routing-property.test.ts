import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server, Subprocess } from "bun";
import { Compiler, type Compiled } from "../../src/compile/compiler.ts";
import { writeMapFiles } from "../../src/haproxy/map-files.ts";
import { compileTemplate, loadTemplateSource } from "../../src/haproxy/template.ts";
import { checkedPolicy } from "../../src/routing/acl/index.ts";
import { explainRequest, type TestRequest } from "../../src/routing/request-test.ts";
import { makeService, type Service } from "../../src/store/types.ts";
import { app, servicePorts, task, TEMPLATE_SETTINGS } from "../routing/builders.ts";
import { HAPROXY_BIN, waitFor } from "../support/haproxy-env.ts";
import { freePort } from "../support/ports.ts";

/**
 * Whatever mix of rules is routed, real HAProxy (map lookups and chain lines together) sends
 * each request where the request tester says: the precedence holds whichever mechanism
 * serves a rule. Apps share a pool of hosts and paths so that rules overlap often, and each
 * app's port 1 may be routed too, by marathon-lb's HAPROXY_1_VHOST and HAPROXY_1_PATH.
 */

const IDS = ["/shop", "/shop/web", "/api", "/api/v2", "/blog", "/Docs"] as const;
const HOSTS = ["a.example", "b.example", "shop.a.example", "api.b.example"];
const PATHS = ["/shop", "/shop/web", "/api", "/api/v2", "/API", "/blog/x", "/docs", "/Docs/intro", "/"];

const word = <T>(items: readonly T[]) => fc.constantFrom(...items);
const withCase = (text: string) => fc.boolean().map((upper) => (upper ? text.toUpperCase() : text));

/** One app's rule; null: no service, the default `path_beg -i /<id>`. */
const ruleArb: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  word(HOSTS).chain((host) => withCase(host).map((h) => `hdr(host) -i ${h}`)),
  word(HOSTS).map((host) => `hdr(host) ${host}`),
  fc.tuple(word(HOSTS), word(HOSTS)).map(([a, b]) => `hdr(host) -i ${a} ${b}`),
  fc.tuple(word(HOSTS), word(PATHS)).map(([host, path]) => `base_beg -i ${host}${path}`),
  fc.tuple(word(HOSTS), word(PATHS)).map(([host, path]) => `base -i ${host}${path}`),
  word(PATHS).chain((path) => withCase(path).map((p) => `path_beg -i ${p}`)),
  word(PATHS).map((path) => `path_beg ${path}`),
  word(PATHS).map((path) => `path -i ${path}`),
  // Not `path_dir /`: the tester reads dir as a segment prefix on purpose (acl/match.ts), HAProxy never matches it.
  word(PATHS.filter((path) => path !== "/")).map((path) => `path_dir ${path}`),
  fc.constant("hdr_end(host) -i .a.example"),
  fc.constant("hdr(x-tenant) blue"),
);

/** Labels routing an app's port 1 (routing/port-routes.ts); {} for none. */
const portLabelsArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constant({}),
  fc.subarray(HOSTS, { minLength: 1, maxLength: 2 }).map((hosts) => ({ HAPROXY_1_VHOST: hosts.join(",") })),
  word(PATHS).map((path) => ({ HAPROXY_1_PATH: path })),
  fc.tuple(fc.subarray(HOSTS, { minLength: 1, maxLength: 2 }), word(PATHS)).map(([hosts, path]) => ({ HAPROXY_1_VHOST: hosts.join(","), HAPROXY_1_PATH: path })),
);

const requestArb = fc.record({
  host: word(HOSTS).chain(withCase),
  path: fc.tuple(word(PATHS), word(["", "/", "/more", "x"])).chain(([path, tail]) => withCase(`${path}${tail}`.replace(/^\/\//, "/"))),
  tenant: fc.boolean(),
});

const caseArb = fc.record({
  rules: fc.tuple(...IDS.map(() => ruleArb)),
  portLabels: fc.tuple(...IDS.map(() => portLabelsArb)),
  requests: fc.array(requestArb, { minLength: 4, maxLength: 6 }),
});

let dir: string;
/** Per app, a server for port 0 and one for port 1, each answering which it is. */
let backends: [Server<undefined>, Server<undefined>][];
let render: ReturnType<typeof compileTemplate>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bamboo-maps-"));
  const serve = (body: string) => Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(body) });
  backends = IDS.map((id) => [serve(id), serve(`${id} port 1`)]);
  const { name, source } = await loadTemplateSource("");
  render = compileTemplate(name, source);
});

afterAll(async () => {
  for (const server of backends.flat()) server.stop(true);
  await rm(dir, { recursive: true, force: true });
});

/** GET with any Host header (fetch would put the URL's), answering status and body. */
function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { ...headers, connection: "close" } }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function runHAProxy(compiled: Compiled, caseDir: string): Promise<Subprocess> {
  await writeMapFiles(compiled.maps);
  const file = join(caseDir, "haproxy.cfg");
  await writeFile(file, compiled.config.text);
  return Bun.spawn([HAPROXY_BIN, "-f", file, "-db"], { stdout: "ignore", stderr: "pipe" });
}

test("real HAProxy routes every request where the request tester says", async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(caseArb, async ({ rules, portLabels, requests }) => {
      const caseDir = join(dir, `case-${run++}`);
      const port = await freePort();
      const settings = { ...TEMPLATE_SETTINGS, HttpBind: `127.0.0.1:${port}`, BindHost: "127.0.0.1", StatsSocket: join(caseDir, "s.sock"), StatsPageSocket: join(caseDir, "p.sock"), ServerStateFile: join(caseDir, "state"), MapDir: join(caseDir, "maps") };
      const apps = IDS.map((id, i) =>
        app({ id, labels: portLabels[i]!, ports: servicePorts(10000 + 2 * i, 10001 + 2 * i), tasks: [task({ id: `${id}.1`, host: "127.0.0.1", ports: backends[i]!.map((server) => server.port!) })] }),
      );
      const services: Service[] = IDS.flatMap((id, i) => (rules[i] === null ? [] : [makeService(id, rules[i]!)]));
      // The compile serve runs: port 1's labels pass the claims checks there, and get a backend. Every generated rule is one HAProxy takes.
      const compiler = new Compiler(render, settings, { policy: checkedPolicy("all"), servicePorts: { bind: { off: true }, reserved: new Map() } });
      const compiled = compiler.compile({ apps, services, answers: { hosts: new Map(), rules: new Map(services.map((service) => [service.acl, { ok: true }])) }, previous: null });
      const data = compiled.data;
      const haproxy = await runHAProxy(compiled, caseDir);
      try {
        await waitFor(() => get(port, "/", { host: "probe.invalid" }).then(() => true), "HAProxy to listen", 5_000);
        for (const probe of requests) {
          const headers: Record<string, string> = { host: probe.host, ...(probe.tenant ? { "x-tenant": "blue" } : {}) };
          const asked: TestRequest = { host: probe.host, path: probe.path, query: new URLSearchParams(), headers: new Map(Object.entries(headers)), method: "GET" };
          const expected = explainRequest(data, asked);
          const answer = await get(port, probe.path, headers);
          const where = `${probe.host}${probe.path}${probe.tenant ? " (x-tenant: blue)" : ""} with rules ${JSON.stringify(rules)} and port labels ${JSON.stringify(portLabels)}: ${expected.explanation}`;
          const body = expected.matched?.port ? `${expected.matched.appId} port ${expected.matched.port}` : (expected.matched?.appId ?? "");
          if (expected.verdict === "routed") expect({ where, body: answer.body }).toEqual({ where, body });
          else expect({ where, status: answer.status }).toEqual({ where, status: 503 });
        }
      } finally {
        haproxy.kill();
        await haproxy.exited;
      }
    }),
    { numRuns: Number(process.env.MAP_PROPERTY_RUNS ?? 30) },
  );
});
