import { open, rename, rm } from "node:fs/promises";

/**
 * Writes a file so that readers see the old or the new content, never a mix: a temp file
 * in the same directory, renamed over the target. `durable` also flushes it to disk first,
 * which survives a power loss but costs up to hundreds of milliseconds on a busy disk: the
 * churn path skips it, since a restarted appliance re-renders everything from Marathon.
 */
export async function writeFileAtomic(path: string, content: string, options: { durable?: boolean } = {}): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const handle = await open(temp, "w", 0o644);
  try {
    await handle.writeFile(content);
    if (options.durable !== false) await handle.sync();
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
