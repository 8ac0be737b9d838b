/**
 * Makes dist/bamboo-<version>-linux-<arch>.tar.gz: the executable, the default template, the
 * README, the LICENSE, the Marathon app definition, an example config and a SHA256SUMS file.
 *
 * The archive is written with the npm `tar` package rather than by running tar(1): entries
 * are listed in a fixed order with a fixed mtime and no owner names, so the same inputs give
 * the same bytes on any machine (GNU and BSD tar disagree on the flags that would do that).
 *
 * Usage: bun scripts/package.ts [--binary PATH] [--out DIR]
 *   --binary  the executable to package (default dist/bamboo, built first when missing)
 *   --out     where the archive goes (default dist/)
 */
import { createHash } from "node:crypto";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create } from "tar";
import packageJson from "../package.json" with { type: "json" };

const root = new URL("..", import.meta.url).pathname;

/** Node's arch names → the names Linux distributions and Bamboo's releases use. */
const ARCH_NAMES: Readonly<Record<string, string>> = { x64: "amd64", arm64: "arm64" };

/** Files taken from the repository: [source, path inside the archive]. */
const REPO_FILES: ReadonlyArray<readonly [string, string, "required" | "optional"]> = [
  ["templates/haproxy.cfg.hbs", "templates/haproxy.cfg.hbs", "required"],
  ["README.md", "README.md", "required"],
  ["LICENSE", "LICENSE", "required"],
  ["image/marathon.json", "marathon.json", "required"],
  ["image/marathon-local.json", "marathon-local.json", "required"],
  ["image/bamboo.example.json", "bamboo.example.json", "required"],
];

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`);
  return value;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

/** A fixed timestamp for every entry: the last commit's time, or SOURCE_DATE_EPOCH. */
async function sourceDate(): Promise<Date> {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv && /^\d+$/.test(fromEnv)) return new Date(Number(fromEnv) * 1000);
  const git = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: root, stdout: "pipe", stderr: "ignore" });
  const seconds = git.exitCode === 0 ? Number(git.stdout.toString().trim()) : NaN;
  return new Date(Number.isFinite(seconds) ? seconds * 1000 : 0);
}

async function main(argv: readonly string[]): Promise<number> {
  const arch = ARCH_NAMES[process.arch];
  if (!arch) throw new Error(`no release name for architecture ${process.arch}`);
  const binary = option(argv, "--binary") ?? join(root, "dist/bamboo");
  const outDir = option(argv, "--out") ?? join(root, "dist");
  if (!(await exists(binary))) {
    if (option(argv, "--binary") !== undefined) throw new Error(`${binary} does not exist`);
    console.error(`package: ${binary} missing, building it`);
    const build = Bun.spawnSync([process.execPath, join(root, "scripts/build.ts")], { stdout: "inherit", stderr: "inherit" });
    if (build.exitCode !== 0) throw new Error("build failed");
  }

  const name = `bamboo-${packageJson.version}-linux-${arch}`;
  const staging = await mkdtemp(join(tmpdir(), "bamboo-package-"));
  try {
    const top = join(staging, name);
    const files: string[] = [];
    const place = async (source: string, inside: string, mode: number) => {
      const target = join(top, inside);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(source, target);
      await chmod(target, mode);
      files.push(inside);
    };
    await place(binary, "bamboo", 0o755);
    for (const [source, inside, need] of REPO_FILES) {
      const path = join(root, source);
      if (await exists(path)) await place(path, inside, 0o644);
      else if (need === "required") throw new Error(`${source} is missing`);
    }
    files.sort();
    // Two spaces between hash and name: the format `sha256sum -c` reads.
    const sums = await Promise.all(files.map(async (file) => `${await sha256(join(top, file))}  ${file}\n`));
    await writeFile(join(top, "SHA256SUMS"), sums.join(""), { mode: 0o644 });

    await mkdir(outDir, { recursive: true });
    const archive = join(outDir, `${name}.tar.gz`);
    const entries = ["SHA256SUMS", ...files].map((file) => `${name}/${file}`);
    await create({ file: archive, cwd: staging, gzip: true, portable: true, noDirRecurse: true, mtime: await sourceDate() }, entries);
    console.log(archive);
    for (const entry of entries) console.error(`package:   ${entry}`);
    return 0;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(`package: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
