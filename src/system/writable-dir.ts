import { access, constants, mkdir } from "node:fs/promises";

/**
 * Creates `dir` if needed and proves this user may write in it.
 * @throws Error naming the directory, why, and `setting`, the one thing to change.
 */
export async function ensureWritableDir(dir: string, setting: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new Error(`cannot write to ${dir} (${code}) as this user: set ${setting} to a directory you may write, e.g. ${setting}=$HOME/.local/share/bamboo`);
  }
}
