import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { list } from "tar";
import packageJson from "../../package.json" with { type: "json" };

const ROOT = new URL("../..", import.meta.url).pathname;
const ARCH = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch]!;
const NAME = `bamboo-${packageJson.version}-linux-${ARCH}`;
const work = await mkdtemp(join(tmpdir(), "bamboo-package-test-"));
afterAll(() => rm(work, { recursive: true, force: true }));

// A small stand-in executable: what is tested is the archive, not the 110 MB binary.
const fakeBinary = join(work, "bamboo");
await writeFile(fakeBinary, "#!/bin/sh\necho bamboo\n");
await chmod(fakeBinary, 0o755);

async function makePackage(out: string, env: Record<string, string> = {}): Promise<string> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "scripts/package.ts"), "--binary", fakeBinary, "--out", out], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`scripts/package.ts exited ${code}: ${stderr}`);
  return stdout.trim();
}

/** Every entry of a .tar.gz with its mode and content. */
async function readArchive(file: string): Promise<Map<string, { mode: number; body: Buffer }>> {
  const entries = new Map<string, { mode: number; body: Buffer }>();
  await list({
    file,
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on("data", (chunk: Buffer) => chunks.push(chunk));
      entry.on("end", () => entries.set(entry.path, { mode: entry.mode ?? 0, body: Buffer.concat(chunks) }));
    },
  });
  return entries;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("scripts/package", () => {
  test("writes bamboo-<version>-linux-<arch>.tar.gz with the executable, template, README, licence, app definition, example config and sums", async () => {
    const out = join(work, "one");
    const archive = await makePackage(out);
    expect(archive).toBe(join(out, `${NAME}.tar.gz`));
    expect((await stat(archive)).size).toBeGreaterThan(0);
    const entries = await readArchive(archive);
    const expected = ["SHA256SUMS", "README.md", "LICENSE", "bamboo", "marathon.json", "marathon-local.json", "bamboo.example.json", "templates/haproxy.cfg.hbs"];
    expect([...entries.keys()].sort()).toEqual(expected.map((file) => `${NAME}/${file}`).sort());
    expect(entries.get(`${NAME}/bamboo`)!.mode & 0o777).toBe(0o755);
    expect(entries.get(`${NAME}/templates/haproxy.cfg.hbs`)!.body.toString()).toBe(await readFile(join(ROOT, "templates/haproxy.cfg.hbs"), "utf8"));
    expect(entries.get(`${NAME}/marathon.json`)!.body.toString()).toBe(await readFile(join(ROOT, "image/marathon.json"), "utf8"));
  });

  test("SHA256SUMS lists every other file with its true checksum, in sha256sum -c format", async () => {
    const entries = await readArchive(await makePackage(join(work, "sums")));
    const lines = entries.get(`${NAME}/SHA256SUMS`)!.body.toString().trim().split("\n");
    const listed = new Map(lines.map((line) => {
      const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      expect(match).not.toBeNull();
      return [match![2]!, match![1]!] as const;
    }));
    const others = [...entries.keys()].filter((path) => path !== `${NAME}/SHA256SUMS`);
    expect([...listed.keys()].sort()).toEqual(others.map((path) => path.slice(NAME.length + 1)).sort());
    for (const path of others) expect(listed.get(path.slice(NAME.length + 1))).toBe(sha256(entries.get(path)!.body));
  });

  test("the same inputs give the same bytes", async () => {
    const env = { SOURCE_DATE_EPOCH: "1700000000" };
    const first = await readFile(await makePackage(join(work, "a"), env));
    const second = await readFile(await makePackage(join(work, "b"), env));
    expect(sha256(second)).toBe(sha256(first));
  });

  test("a missing binary given by --binary is an error, not an empty archive", async () => {
    const proc = Bun.spawn([process.execPath, join(ROOT, "scripts/package.ts"), "--binary", join(work, "nope"), "--out", join(work, "none")], { stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain("does not exist");
    expect(await Bun.file(join(work, "none", `${NAME}.tar.gz`)).exists()).toBe(false);
  });
});
