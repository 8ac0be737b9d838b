/**
 * Builds dist/bamboo: one executable with the Bun runtime, the default template and the UI
 * inside. Autoloading of .env and bunfig.toml is off: an appliance must not change
 * behaviour because of a file that happens to sit in its working directory.
 */
import { $ } from "bun";

const root = new URL("..", import.meta.url).pathname;
await $`mkdir -p ${root}dist`;
const result =
  await $`${process.execPath} build --compile --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile ${root}dist/bamboo ${root}src/main.ts`.nothrow();
if (result.exitCode !== 0) {
  console.error("build failed");
  process.exit(result.exitCode);
}
console.log(`built ${root}dist/bamboo`);
