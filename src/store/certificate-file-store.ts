/**
 * The certificate store used without ZooKeeper: one file per certificate,
 * `<dir>/<name>.pem`, the directory 0700 and every file 0600 because they hold private
 * keys. Also the parts the ZooKeeper store shares: the served list with change
 * notification, the checks before a write, and the durable private write.
 * @module
 */

import { chmod, mkdir, open, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { syncDir, writeFileAtomic } from "../system/atomic-file.ts";
import { certificateNameProblem } from "../tls/certificate-name.ts";
import type { CertificateStore, CertificateStoreStatus, StoredCertificate } from "./certificates.ts";
import { StoreError, StoreUnavailableError, type StoreLog } from "./types.ts";

/**
 * The API's limit (MAX_PEM_BYTES in src/tls/certificate.ts), repeated here so the store
 * does not depend on routing through that module.
 */
export const MAX_STORED_PEM_BYTES = 1024 * 1024;
/** A store is for the certificates one HAProxy serves, not an archive; the same bound as BAMBOO_CERT_DIR's. */
export const MAX_STORED_CERTIFICATES = 1000;

const EXTENSION = ".pem";
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

type Listener = (certificates: readonly StoredCertificate[]) => void;

/** Certificates by name, a sorted list view, and listeners told only when the list really changed. */
export class CertificateList {
  readonly #byName = new Map<string, StoredCertificate>();
  readonly #listeners = new Set<Listener>();
  #sorted: readonly StoredCertificate[] = [];
  #lastNotified: readonly StoredCertificate[] = [];

  constructor(private readonly log?: StoreLog) {}

  list(): readonly StoredCertificate[] {
    return this.#sorted;
  }

  get(name: string): StoredCertificate | undefined {
    return this.#byName.get(name);
  }

  set(certificate: StoredCertificate): void {
    this.#byName.set(certificate.name, Object.freeze({ name: certificate.name, pem: certificate.pem }));
    this.#resort();
  }

  remove(name: string): boolean {
    const existed = this.#byName.delete(name);
    if (existed) this.#resort();
    return existed;
  }

  replaceAll(certificates: readonly StoredCertificate[]): void {
    this.#byName.clear();
    for (const certificate of certificates) this.#byName.set(certificate.name, Object.freeze({ name: certificate.name, pem: certificate.pem }));
    this.#resort();
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Tells every listener about the current list if it differs from the last one told; true if it did. */
  notify(): boolean {
    const list = this.#sorted;
    const last = this.#lastNotified;
    if (list.length === last.length && list.every((certificate, i) => certificate.name === last[i]!.name && certificate.pem === last[i]!.pem)) return false;
    this.#lastNotified = list;
    for (const listener of [...this.#listeners]) {
      try {
        listener(list);
      } catch (error) {
        // A failing consumer must not stop the others from hearing about the change.
        this.log?.error("certificate store listener failed", { error: String(error) });
      }
    }
    return true;
  }

  #resort(): void {
    this.#sorted = Object.freeze([...this.#byName.keys()].sort().map((name) => this.#byName.get(name)!));
  }
}

/**
 * Why `certificate` cannot be stored in `list`, as an error to throw, or null. A body over
 * `maxBytes` (the backend's limit) or a new name past {@link MAX_STORED_CERTIFICATES} never
 * fits, so these are StoreErrors, not "try again later".
 */
export function storeRefusal(certificate: StoredCertificate, list: CertificateList, maxBytes: number, backend: string): StoreError | null {
  const nameProblem = certificateNameProblem(certificate.name);
  if (nameProblem) return new StoreError(`cannot save the certificate: ${nameProblem}`);
  const bytes = Buffer.byteLength(certificate.pem);
  if (bytes > maxBytes) return new StoreError(`cannot save certificate ${certificate.name}: its PEM is ${bytes} bytes and ${backend} holds at most ${maxBytes}; a certificate with its chain and key is a few kilobytes`);
  if (!list.get(certificate.name) && list.list().length >= MAX_STORED_CERTIFICATES) {
    return new StoreError(`cannot save certificate ${certificate.name}: the store already holds ${MAX_STORED_CERTIFICATES} certificates; delete ones no longer served`);
  }
  return null;
}

/** Certificates as files in one private directory (e.g. `BAMBOO_DATA_DIR/certificates`). */
export class CertificateFileStore implements CertificateStore {
  readonly #list: CertificateList;
  // Writes run one at a time, so the files always reflect a whole, ordered history.
  #queue: Promise<unknown> = Promise.resolve();
  #lastError: string | null = null;

  constructor(
    readonly dir: string,
    private readonly log?: StoreLog,
  ) {
    this.#list = new CertificateList(log);
  }

  /** Creates the directory (or tightens it to 0700) and loads every readable `<name>.pem`. */
  async start(): Promise<void> {
    let entries: string[];
    try {
      await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
      await chmod(this.dir, DIR_MODE);
      entries = (await readdir(this.dir)).sort();
    } catch (error) {
      this.#lastError = `cannot use the certificate directory ${this.dir}: ${(error as Error).message}`;
      this.log?.error("certificate file store unavailable; serving no API certificates", { dir: this.dir, error: (error as Error).message });
      return;
    }
    const loaded: StoredCertificate[] = [];
    for (const entry of entries) {
      if (entry.startsWith(".") && entry.includes(".tmp-")) {
        // A write that crashed before its rename; the old file, if any, is intact.
        await rm(join(this.dir, entry), { force: true }).catch(() => undefined);
        continue;
      }
      if (entry.startsWith(".") || !entry.endsWith(EXTENSION)) continue;
      const certificate = await this.#load(entry);
      if (certificate) loaded.push(certificate);
      if (loaded.length === MAX_STORED_CERTIFICATES) {
        this.log?.warn("certificate file store holds too many files; the rest are not loaded", { dir: this.dir, max: MAX_STORED_CERTIFICATES });
        break;
      }
    }
    this.#list.replaceAll(loaded);
    this.log?.info("certificate file store loaded", { dir: this.dir, certificates: loaded.length });
  }

  list(): readonly StoredCertificate[] {
    return this.#list.list();
  }

  get(name: string): StoredCertificate | undefined {
    return this.#list.get(name);
  }

  put(certificate: StoredCertificate): Promise<void> {
    return this.#serially(async () => {
      const refusal = storeRefusal(certificate, this.#list, MAX_STORED_PEM_BYTES, "the file store");
      if (refusal) throw refusal;
      await this.#change(`save certificate ${certificate.name}`, async () => {
        await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
        await writeFileAtomic(this.#file(certificate.name), certificate.pem, { mode: FILE_MODE });
      });
      this.#list.set(certificate);
      this.#list.notify();
    });
  }

  delete(name: string): Promise<boolean> {
    return this.#serially(async () => {
      if (!this.#list.get(name)) return false;
      await this.#change(`delete certificate ${name}`, async () => {
        await rm(this.#file(name), { force: true });
        await syncDir(this.dir);
      });
      this.#list.remove(name);
      this.#list.notify();
      return true;
    });
  }

  watch(listener: (certificates: readonly StoredCertificate[]) => void): () => void {
    return this.#list.subscribe(listener);
  }

  status(): CertificateStoreStatus {
    return { kind: "file", connected: true, lastError: this.#lastError };
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  #file(name: string): string {
    return join(this.dir, `${name}${EXTENSION}`);
  }

  /** Runs a file change; a failure leaves memory as it was and becomes StoreUnavailableError. */
  async #change(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.#lastError = `cannot ${what} in ${this.dir}: ${(error as Error).message}`;
      this.log?.error("certificate file store write failed", { dir: this.dir, error: (error as Error).message });
      throw new StoreUnavailableError(`${this.#lastError}; nothing was changed`, { cause: error });
    }
    this.#lastError = null;
  }

  #serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** One file, or null (logged) when it cannot be used: a bad file must not stop the others loading. */
  async #load(entry: string): Promise<StoredCertificate | null> {
    const file = join(this.dir, entry);
    const name = entry.slice(0, -EXTENSION.length);
    const skip = (reason: string) => {
      this.log?.warn("skipping a certificate file that cannot be used", { file, reason });
      return null;
    };
    const nameProblem = certificateNameProblem(name);
    if (nameProblem) return skip(nameProblem);
    try {
      const handle = await open(file, "r");
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) return skip("not a regular file");
        if (stat.size > MAX_STORED_PEM_BYTES) return skip(`${stat.size} bytes, more than ${MAX_STORED_PEM_BYTES}`);
        // The file holds a private key: whoever loosened its mode, close it again.
        if ((stat.mode & 0o077) !== 0) await handle.chmod(FILE_MODE);
        const pem = await handle.readFile("utf8");
        if (!pem.includes("-----BEGIN ")) return skip("no PEM block in it");
        return { name, pem };
      } finally {
        await handle.close();
      }
    } catch (error) {
      return skip((error as Error).message);
    }
  }
}
