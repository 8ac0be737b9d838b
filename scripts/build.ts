/**
 * Builds dist/bamboo: one executable with the Bun runtime, the default template and the UI
 * inside. Autoloading of .env and bunfig.toml is off: an appliance must not change
 * behaviour because of a file that happens to sit in its working directory. The code is
 * compiled to bytecode ahead of time (as an ES module, which top-level await needs): the
 * executable then never parses its source: `bamboo version` peaks at 40 MB instead of 46, and
 * bamboo's start at 10,000 apps a few MB lower and a few hundred milliseconds sooner.
 */
import { $ } from "bun";

const root = new URL("..", import.meta.url).pathname;
await $`mkdir -p ${root}dist`;
// `bamboo version` names the commit it was built from; a tree outside git says so.
const commit = (await $`git -C ${root} rev-parse --short=12 HEAD`.quiet().nothrow()).stdout.toString().trim() || "unknown";
const dirty = (await $`git -C ${root} status --porcelain --untracked-files=no`.quiet().nothrow()).stdout.toString().trim() !== "";
const define = `BAMBOO_COMMIT=${JSON.stringify(dirty ? `${commit}-dirty` : commit)}`;
const result =
  await $`${process.execPath} build --compile --bytecode --format=esm --no-compile-autoload-dotenv --no-compile-autoload-bunfig --define ${define} --outfile ${root}dist/bamboo ${root}src/main.ts`.nothrow();
if (result.exitCode !== 0) {
  console.error("build failed");
  process.exit(result.exitCode);
}
console.log(`built ${root}dist/bamboo`);
