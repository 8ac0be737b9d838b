import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
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
