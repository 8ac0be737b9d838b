import { open, rename, rm } from "node:fs/promises";

/**
 * Writes a file so that readers see the old or the new content, never a mix: a temp file
 * in the same directory, flushed to disk, renamed over the target.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const handle = await open(temp, "w", 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
