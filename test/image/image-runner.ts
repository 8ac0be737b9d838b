/**
 * Runs the built image without a container engine: `buildah from` + `buildah mount` give its
 * filesystem, and its own entrypoint runs there as PID 1 of a fresh pid namespace
 * (`unshare --pid --fork --mount-proc=<root>/proc chroot`), as the image's user, on the
 * host's network so tests reach it on loopback ports.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

const ROOT = new URL("../..", import.meta.url).pathname;
const BUILDAH = ["buildah", "--storage-driver", "vfs"];

function run(command: readonly string[], options: { cwd?: string } = {}): string {
  const result = Bun.spawnSync([...command], { cwd: options.cwd, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${command.join(" ")} exited ${result.exitCode}: ${result.stderr.toString()}`);
  return result.stdout.toString().trim();
}

/**
 * The image to test: BAMBOO_TEST_IMAGE names an existing one (no build); otherwise
 * scripts/image --reuse builds this checkout, or reuses a build of the same source.
 */
export async function buildImage(): Promise<string> {
  const given = process.env.BAMBOO_TEST_IMAGE;
  if (given) return given;
  const proc = Bun.spawn(["bash", join(ROOT, "scripts/image"), "--reuse"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`scripts/image failed (${code}):\n${stderr}`);
  process.stderr.write(stderr);
  return stdout.trim().split("\n").at(-1)!;
}

/** The parts of the image's config a container engine would use to start it. */
export interface ImageConfig {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly env: readonly string[];
  readonly user: string;
  readonly exposedPorts: readonly string[];
  readonly healthcheck: readonly string[] | null;
  readonly stopSignal: string;
}

export function imageConfig(tag: string): ImageConfig {
  const info = JSON.parse(run([...BUILDAH, "inspect", "--type", "image", tag])) as { Docker: { config: Record<string, any> } };
  const config = info.Docker.config;
  return {
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    env: config.Env ?? [],
    user: config.User ?? "",
    exposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
    healthcheck: config.Healthcheck?.Test ?? null,
    stopSignal: config.StopSignal ?? "",
  };
}

/** A working container of the image with its filesystem mounted at `root`. */
export interface MountedImage {
  readonly container: string;
  readonly root: string;
  /** uid:gid of a user name, from the image's own /etc/passwd. */
  userSpec(user: string): string;
  remove(): void;
}

export function mountImage(tag: string): MountedImage {
  const container = run([...BUILDAH, "from", "--pull=never", tag]);
  const root = run([...BUILDAH, "mount", container]);
  return {
    container,
    root,
    userSpec(user) {
      const line = readFileSync(join(root, "etc/passwd"), "utf8").split("\n").find((l) => l.split(":")[0] === user || l.split(":")[2] === user);
      if (!line) throw new Error(`no user ${user} in the image`);
      const [, , uid, gid] = line.split(":");
      return `${uid}:${gid}`;
    },
    remove() {
      Bun.spawnSync([...BUILDAH, "umount", container]);
      Bun.spawnSync([...BUILDAH, "rm", container]);
    },
  };
}

/** The image's entrypoint running as PID 1; `process` is the host-side `unshare`. */
export interface Pid1 {
  readonly process: Subprocess<"ignore", "pipe", "pipe">;
  /** Host pid of the PID 1 process (the entrypoint), found as unshare's child. */
  pid1(): number | null;
  output(): string;
}

export function runAsPid1(image: MountedImage, config: ImageConfig, env: Record<string, string>): Pid1 {
  const imageEnv = Object.fromEntries(config.env.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
  const proc = Bun.spawn(
    ["unshare", "--pid", "--fork", `--mount-proc=${join(image.root, "proc")}`, "chroot", `--userspec=${image.userSpec(config.user)}`, image.root, ...config.entrypoint, ...config.cmd],
    { env: { ...imageEnv, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) output += decoder.decode(chunk.value, { stream: true });
  };
  void collect(proc.stdout);
  void collect(proc.stderr);
  return {
    process: proc,
    pid1: () => childrenOf(proc.pid)[0] ?? null,
    output: () => output,
  };
}

/** Host pids whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  return hostProcesses().filter((p) => p.ppid === pid).map((p) => p.pid);
}

/** Host pids of zombie children of `pid`. */
export function zombiesOf(pid: number): number[] {
  return hostProcesses().filter((p) => p.ppid === pid && p.state === "Z").map((p) => p.pid);
}

/** Host pids of HAProxy processes whose root directory is `root` (ours, not the host's). */
export function haproxyUnder(root: string): number[] {
  return hostProcesses()
    .filter((p) => p.comm === "haproxy")
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p.pid}/root`) === root;
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

function hostProcesses(): Array<{ pid: number; comm: string; state: string; ppid: number }> {
  const found: Array<{ pid: number; comm: string; state: string; ppid: number }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, "utf8");
      const close = text.lastIndexOf(")");
      const [state, ppid] = text.slice(close + 2).split(" ");
      found.push({ pid: Number(name), comm: text.slice(text.indexOf("(") + 1, close), state: state!, ppid: Number(ppid) });
    } catch {
      // gone while listing
    }
  }
  return found;
}
