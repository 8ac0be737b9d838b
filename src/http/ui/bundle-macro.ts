/**
 * Runs at bundle time, not at run time: serve.ts imports `bundleUi` with `{ type: "macro" }`,
 * so Bun calls it while transpiling and inlines the returned strings. `bun build --compile`
 * therefore carries the finished UI inside dist/bamboo with no prebuild step, and running
 * from source (tests, `bun src/main.ts`) bundles the same way.
 *
 * Bun.build cannot be called from inside a macro (the bundler would wait on itself), so the
 * bundler runs as a child process of the same Bun binary.
 *
 * Bun's runtime transpiler cache keys serve.ts by its own text, not by the files this macro
 * reads; when running from source after editing client/, set
 * BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 or the old bundle may be served. `bun build` has no
 * such cache, so dist/bamboo always carries the current UI.
 */
import { readFileSync } from "node:fs";

export interface UiBundle {
  readonly html: string;
  readonly js: string;
  readonly css: string;
  /** Short content hash, part of the asset URLs so browsers may cache them for good. */
  readonly hash: string;
}

export function bundleUi(): UiBundle {
  const js = runBunBuild(["client/main.tsx", "--target=browser", "--format=esm"]);
  const css = runBunBuild(["client/styles/index.css"]);
  const hash = new Bun.CryptoHasher("sha256").update(js).update(css).digest("hex").slice(0, 12);
  const template = readSibling("index.html");
  const html = template.replaceAll("%ASSET_HASH%", hash);
  return { html, js, css, hash };
}

function runBunBuild(args: readonly string[]): string {
  const [entry, ...flags] = args;
  const path = new URL(entry!, import.meta.url).pathname;
  const result = Bun.spawnSync([process.execPath, "build", path, "--minify", ...flags], {
    // A compiled bamboo is never the execPath here, but BUN_BE_BUN keeps the child a plain
    // `bun` even if this ever runs under a bun-compiled wrapper.
    env: { ...process.env, BUN_BE_BUN: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (result.exitCode !== 0) throw new Error(`bundling the web UI (${entry}) failed:\n${result.stderr.toString()}`);
  return result.stdout.toString();
}

function readSibling(name: string): string {
  return readFileSync(new URL(name, import.meta.url), "utf8");
}
