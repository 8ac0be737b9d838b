import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../system/atomic-file.ts";

/** One map file the config names: HAProxy reads it when it loads the config. */
export interface MapFile {
  readonly path: string;
  /** In the file's order: for a duplicated key HAProxy answers the first. */
  readonly entries: readonly MapFileEntry[];
}

export interface MapFileEntry {
  readonly key: string;
  readonly value: string;
}

/** The file's text: one `key value` line per entry (keys were checked to hold no blank, route-maps.ts). */
export function mapFileText(entries: readonly MapFileEntry[]): string {
  let text = "";
  for (const entry of entries) text += `${entry.key} ${entry.value}\n`;
  return text;
}

export function sameEntry(a: MapFileEntry, b: MapFileEntry): boolean {
  return a === b || (a.key === b.key && a.value === b.value);
}

function sameEntries(a: readonly MapFileEntry[], b: readonly MapFileEntry[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((entry, i) => sameEntry(entry, b[i]!));
}

/** The map files whose path or entries differ from what `before` holds. */
export function changedMapFiles(before: readonly MapFile[], after: readonly MapFile[]): MapFile[] {
  // Task events leave the rules alone, and the compiler then hands over the very same files.
  if (before === after) return [];
  const old = new Map(before.map((file) => [file.path, file]));
  return after.filter((file) => {
    const was = old.get(file.path);
    return was === undefined || !sameEntries(was.entries, file.entries);
  });
}

/** Writes each file atomically, so a HAProxy loading the config reads the old or the new map, never half of one. */
export async function writeMapFiles(files: readonly MapFile[]): Promise<void> {
  for (const dir of new Set(files.map((file) => dirname(file.path)))) await mkdir(dir, { recursive: true });
  for (const file of files) await writeFileAtomic(file.path, mapFileText(file.entries), { durable: false });
}
