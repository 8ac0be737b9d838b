import { afterEach, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LatestWriter } from "../../src/haproxy/config-file.ts";
import { silentLogger } from "../../src/system/log.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function missingDir(): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), "bamboo-writer-"));
  dirs.push(base);
  return join(base, "later");
}

test("a failed background write is reported and retried until the disk takes it", async () => {
  const dir = await missingDir();
  const writer = new LatestWriter(join(dir, "host.map"), silentLogger);
  writer.write(["a.example a\n"]);
  await writer.settled();
  expect(writer.error()).toContain("could not write");
  await mkdir(dir);
  const deadline = Date.now() + 5_000;
  while (writer.error() !== null && Date.now() < deadline) await Bun.sleep(20);
  writer.close();
  expect(writer.error()).toBeNull();
  expect(await readFile(join(dir, "host.map"), "utf8")).toBe("a.example a\n");
});

test("a superseded writer never lands its old text over a newer direct write", async () => {
  const dir = await missingDir();
  const path = join(dir, "host.map");
  const writer = new LatestWriter(path, silentLogger);
  writer.write(["old.example a\n"]);
  await writer.settled();
  expect(writer.error()).not.toBeNull();
  writer.supersede();
  expect(writer.error()).toBeNull();
  // The retry was due 500 ms after the failure; twice that, and nothing was written.
  await Bun.sleep(1_000);
  expect(existsSync(path)).toBe(false);
});
