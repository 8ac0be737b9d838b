/**
 * One JSON file holding a list of services: the file store's data and the
 * ZooKeeper store's last-known snapshot. Writes are atomic (temp file, fsync,
 * rename, directory fsync) so a crash leaves either the old or the new file,
 * never half of one.
 * @module
 */

import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { makeService, StoreError, type Service } from "./types.ts";
import { writeFileAtomic } from "../system/atomic-file.ts";

/** Bumped only if the layout changes incompatibly; read back to refuse foreign files. */
const FORMAT = "bamboo-services/1";

interface ServicesFileShape {
  format: string;
  services: { id: string; acl: string; config: Record<string, string> }[];
}

/**
 * Reads a services file. Resolves `null` when the file does not exist; throws
 * {@link StoreError} naming the file when it exists but cannot be trusted, so
 * routing rules are never silently replaced by an empty set.
 */
async function readServicesFile(path: string): Promise<Service[] | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new StoreError(`cannot read services file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseServices(JSON.parse(text));
  } catch (error) {
    throw new StoreError(
      `services file ${path} is corrupt (${(error as Error).message}); fix or move it away, then start again`,
      { cause: error },
    );
  }
}

/**
 * The file of one store: read at start, rewritten whole (atomically) on every change. One
 * service per line, so the file diffs and greps well; each line is kept per service
 * object, so a write at 10,000 services encodes the one that changed (stringifying them all
 * cost a rule write ~9 ms).
 */
export class ServicesFile {
  readonly #lines = new WeakMap<Service, string>();

  constructor(readonly path: string) {}

  read(): Promise<Service[] | null> {
    return readServicesFile(this.path);
  }

  /** Writes the whole list atomically, creating the directory when missing. */
  async write(services: readonly Service[]): Promise<void> {
    const lines = services.map((service) => this.#line(service));
    await mkdir(dirname(this.path), { recursive: true });
    await writeFileAtomic(this.path, `{"format":${JSON.stringify(FORMAT)},"services":[${lines.length === 0 ? "" : `\n${lines.join(",\n")}\n`}]}\n`);
  }

  #line(service: Service): string {
    let line = this.#lines.get(service);
    if (line === undefined) {
      line = JSON.stringify({ id: service.id, acl: service.acl, config: service.config });
      this.#lines.set(service, line);
    }
    return line;
  }
}

function parseServices(value: unknown): Service[] {
  if (typeof value !== "object" || value === null || (value as ServicesFileShape).format !== FORMAT) {
    throw new Error(`expected a JSON object with "format": "${FORMAT}"`);
  }
  const list = (value as ServicesFileShape).services;
  if (!Array.isArray(list)) throw new Error(`"services" is not an array`);
  return list.map((entry, index) => {
    if (typeof entry !== "object" || entry === null || typeof entry.id !== "string" || typeof entry.acl !== "string") {
      throw new Error(`services[${index}] needs string "id" and "acl"`);
    }
    const config = entry.config ?? {};
    if (typeof config !== "object" || Object.values(config).some((v) => typeof v !== "string")) {
      throw new Error(`services[${index}].config must map strings to strings`);
    }
    return makeService(entry.id, entry.acl, config);
  });
}
