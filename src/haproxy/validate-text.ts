import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeMapFiles, type MapFile } from "./map-files.ts";
import { validateConfig, type Validation } from "./validate.ts";

/**
 * Asks HAProxy whether a config text is valid: written to a private directory under
 * `parentDir`, checked with `haproxy -c`, then removed whatever happened.
 */
export async function validateConfigText(bin: string, text: string, parentDir: string): Promise<Validation> {
  const dir = await mkdtemp(join(parentDir, "bamboo-check-"));
  try {
    const file = join(dir, "haproxy.cfg");
    await writeFile(file, text);
    return await validateConfig(bin, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Compiles a config whose map files live in a private directory under `parentDir` (the
 * config names them by path, and `haproxy -c` reads them), writes them, and asks HAProxy
 * about the config; everything is removed afterwards.
 */
export async function validateCompiled<T extends { readonly config: { readonly text: string }; readonly maps: readonly MapFile[] }>(
  bin: string,
  parentDir: string,
  compile: (mapDir: string) => T | Promise<T>,
): Promise<{ compiled: T; verdict: Validation }> {
  const dir = await mkdtemp(join(parentDir, "bamboo-check-"));
  try {
    const compiled = await compile(join(dir, "maps"));
    await writeMapFiles(compiled.maps);
    return { compiled, verdict: await validateConfigText(bin, compiled.config.text, dir) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
