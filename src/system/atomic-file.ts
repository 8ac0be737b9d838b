import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { errorMessage } from "./error-message.ts";

export interface AtomicWriteOptions {
  /**
   * Flush the file and its directory entry before resolving (default true): survives a power
   * loss, but costs up to hundreds of milliseconds on a busy disk. What is re-rendered from
   * Marathon and the store at every start (config, maps, served certificates) skips it.
   */
  readonly durable?: boolean;
  /** The new file's mode from its creation on, so a private key is never readable by others, even for a moment. */
  readonly mode?: number;
}

/**
 * Writes a file so that readers see the old or the new content, never a mix: a temp file in
 * the same directory, renamed over the target. The temp file's name is unique per write (two
 * writes in flight never share one) and starts with a dot, so directory readers skip it. A
 * failed write leaves no temp file behind: a full disk must not also fill up with them.
 */
export async function writeFileAtomic(path: string, content: string | readonly string[], options: AtomicWriteOptions = {}): Promise<void> {
  const durable = options.durable !== false;
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${crypto.randomUUID()}`);
  try {
    const handle = await open(temp, "wx", options.mode ?? 0o644);
    try {
      if (typeof content === "string") await handle.writeFile(content);
      else for (const batch of batches(content)) await handle.write(batch);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    // The rename is durable only once the directory entry is flushed too.
    if (durable) await syncDir(dirname(path));
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new Error(`could not write ${path}: ${errorMessage(error)}`, { cause: error });
  }
}

/** Flushes a directory's entries: a rename or unlink in it is durable only then. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Pieces joined into writes of about 64 KiB. Joining a 3 MB config at once cost ~15 ms of
 * page faults for the fresh buffer (measured on this project's VMs); small buffers are reused.
 */
function* batches(pieces: readonly string[]): Generator<string> {
  const BATCH = 64 * 1024;
  let batch: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    batch.push(piece);
    size += piece.length;
    if (size >= BATCH) {
      yield batch.join("");
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) yield batch.join("");
}
