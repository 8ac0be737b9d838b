import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RuntimeApiError } from "../../src/haproxy/errors.ts";
import { RuntimeApi } from "../../src/haproxy/runtime-api.ts";
import { testConfig } from "../support/haproxy-config.ts";
import { haproxyEnv, type HAProxyEnv } from "../support/haproxy-env.ts";

let env: HAProxyEnv;
let api: RuntimeApi;
let hostMap: string;

async function getHost(host: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${env.frontendPort}/`, { keepalive: false, headers: { host, connection: "close" } });
  return response.text();
}

beforeAll(async () => {
  env = await haproxyEnv(["default", "other"]);
  hostMap = join(env.dir, "hosts.map");
  await writeFile(hostMap, "known.example app_other\n");
  const config = testConfig({
    frontendPort: env.frontendPort,
    statsSocket: env.statsSocket,
    hostMap,
    servers: [{ name: "d", port: env.backends.get("default")! }],
    backendExtra: ["backend app_other", `    server o 127.0.0.1:${env.backends.get("other")!}`],
  });
  await writeFile(env.configPath, config);
  await env.supervisor.start();
  api = new RuntimeApi(env.statsSocket);
});

afterAll(async () => {
  await env.close();
});

test("host map rows added, changed and removed at run time route without a reload", async () => {
  expect(await getHost("known.example")).toBe("other");
  expect(await getHost("new.example")).toBe("default");

  await api.addMapEntry(hostMap, "new.example", "app_other");
  expect(await getHost("new.example")).toBe("other");
  expect(await api.showMap(hostMap)).toEqual([
    { key: "known.example", value: "app_other" },
    { key: "new.example", value: "app_other" },
  ]);

  await api.setMapEntry(hostMap, "known.example", "app");
  expect(await getHost("known.example")).toBe("default");

  await api.delMapEntry(hostMap, "new.example");
  expect(await getHost("new.example")).toBe("default");
  expect((await api.showMap(hostMap)).map((row) => row.key)).toEqual(["known.example"]);
});

test("an unknown map is refused with HAProxy's reply", async () => {
  const error = await api.addMapEntry(join(env.dir, "missing.map"), "a", "b").then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(RuntimeApiError);
  await expect(api.addMapEntry(hostMap, "two words", "x")).rejects.toThrow(RangeError);
});
