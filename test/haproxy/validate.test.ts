import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../src/haproxy/validate.ts";
import { testConfig } from "../support/haproxy-config.ts";
import { HAPROXY_BIN } from "../support/haproxy-env.ts";

const dir = await mkdtemp(join(tmpdir(), "bamboo-validate-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function configFile(name: string, backendExtra: string[] = []): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, testConfig({ frontendPort: 1, statsSocket: join(dir, "s.sock"), servers: [{ name: "a", port: 2 }], backendExtra }));
  return path;
}

test("a valid config passes haproxy -c", async () => {
  expect(await validateConfig(HAPROXY_BIN, await configFile("good.cfg"))).toEqual({ ok: true });
});

test("an invalid config fails with HAProxy's message naming the file and line", async () => {
  const path = await configFile("bad.cfg", ["    bogus_keyword here"]);
  const result = await validateConfig(HAPROXY_BIN, path);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  const line = (await Bun.file(path).text()).split("\n").findIndex((text) => text.includes("bogus_keyword")) + 1;
  expect(result.message).toContain(`parsing [${path}:${line}] : unknown keyword 'bogus_keyword'`);
  // The generic summary lines HAProxy adds are noise.
  expect(result.message).not.toContain("Fatal errors found");
});

test("a missing file and a missing binary are reported, not thrown", async () => {
  const missing = await validateConfig(HAPROXY_BIN, join(dir, "nope.cfg"));
  expect(missing.ok).toBe(false);
  if (!missing.ok) expect(missing.message).toContain("nope.cfg");
  const noBinary = await validateConfig(join(dir, "no-haproxy"), join(dir, "nope.cfg"));
  expect(noBinary.ok).toBe(false);
});
