/**
 * Certificates operators keep as files (`BAMBOO_CERT_DIR`): one `<name>.pem` per certificate
 * holding the certificate, its chain and its key, as HAProxy's `crt` loads it. Only `.pem`:
 * a `.crt` conventionally holds the certificate alone, with the key in a `.key` beside it,
 * and bamboo reads one self-contained file per certificate. Other files (a README, a
 * `.key`), hidden entries (Kubernetes' `..data` swap directories) and subdirectories are
 * ignored; symlinks to files are followed, as Kubernetes secret volumes are made of them.
 *
 * A file that cannot be used is a problem naming the file, never an exception: the other
 * certificates keep being served.
 *
 * @module
 */

import { watch, type FSWatcher } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { inspectCertificate, MAX_PEM_BYTES, type CertificateInfo } from "./certificate.ts";
import { certificateNameProblem } from "./certificate-name.ts";

/** More files than this are not read: the directory is bamboo's input, not an archive. */
export const MAX_CERTIFICATE_FILES = 1000;

/** A usable certificate file. */
export interface DirCertificate {
  /** The file name without `.pem`. */
  readonly name: string;
  /** The file's text as read. */
  readonly pem: string;
  readonly file: string;
  readonly info: CertificateInfo;
}

/** A file (or the directory itself) that cannot be used, and why. */
export interface DirProblem {
  readonly file: string;
  readonly message: string;
}

export interface CertificateDirScan {
  /** Sorted by name. */
  readonly certificates: readonly DirCertificate[];
  /** Sorted by file. */
  readonly problems: readonly DirProblem[];
}

const EXTENSION = ".pem";

/**
 * Reads every `<name>.pem` in `dir` once and checks it at `now`. Never throws: an unreadable
 * directory is a problem too. At most {@link MAX_CERTIFICATE_FILES} files are read, the
 * first by name, and none larger than {@link MAX_PEM_BYTES}.
 */
export async function scanCertificateDir(dir: string, now: Date): Promise<CertificateDirScan> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((entry) => entry.endsWith(EXTENSION) && !entry.startsWith(".")).sort();
  } catch (error) {
    return { certificates: [], problems: [{ file: dir, message: `cannot read the certificate directory: ${reason(error)}; create it or fix its permissions (BAMBOO_CERT_DIR)` }] };
  }
  const certificates: DirCertificate[] = [];
  const problems: DirProblem[] = [];
  if (entries.length > MAX_CERTIFICATE_FILES) {
    problems.push({ file: dir, message: `${entries.length} ${EXTENSION} files; only the first ${MAX_CERTIFICATE_FILES} by name are read: remove the ones no longer served` });
    entries = entries.slice(0, MAX_CERTIFICATE_FILES);
  }
  for (const entry of entries) {
    const file = join(dir, entry);
    const name = entry.slice(0, -EXTENSION.length);
    const nameProblem = certificateNameProblem(name);
    if (nameProblem) {
      problems.push({ file, message: `${nameProblem}; rename the file` });
      continue;
    }
    const read = await readPemFile(file);
    if (read === "directory") continue;
    if (!read.ok) {
      problems.push({ file, message: read.message });
      continue;
    }
    const verdict = inspectCertificate(read.text, now);
    if (verdict.ok) certificates.push({ name, pem: read.text, file, info: verdict.certificate });
    else problems.push({ file, message: verdict.message });
  }
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { certificates, problems };
}

/** Whether two scans found the same certificates (by name and content) and the same problems. */
export function sameScan(a: CertificateDirScan, b: CertificateDirScan): boolean {
  return (
    a.certificates.length === b.certificates.length &&
    a.problems.length === b.problems.length &&
    a.certificates.every((certificate, i) => certificate.name === b.certificates[i]!.name && certificate.pem === b.certificates[i]!.pem) &&
    a.problems.every((problem, i) => problem.file === b.problems[i]!.file && problem.message === b.problems[i]!.message)
  );
}

export type PemFileRead = { ok: true; text: string } | { ok: false; message: string } | "directory";

/** Reads a PEM file of at most MAX_PEM_BYTES, and one byte more to know: a huge file is refused without being loaded. */
export async function readPemFile(file: string): Promise<PemFileRead> {
  let handle;
  try {
    handle = await open(file, "r"); // follows symlinks
  } catch (error) {
    return { ok: false, message: `cannot open the file: ${reason(error)}` };
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) return "directory";
    if (!stat.isFile()) return { ok: false, message: "not a regular file; put the PEM in a plain file" };
    if (stat.size > MAX_PEM_BYTES) return { ok: false, message: `${stat.size} bytes, more than ${MAX_PEM_BYTES}: not read; a certificate with its chain and key is a few kilobytes` };
    const buffer = Buffer.alloc(MAX_PEM_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_PEM_BYTES) return { ok: false, message: `more than ${MAX_PEM_BYTES} bytes: not read; a certificate with its chain and key is a few kilobytes` };
    return { ok: true, text: buffer.subarray(0, length).toString("utf8") };
  } catch (error) {
    return { ok: false, message: `cannot read the file: ${reason(error)}` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code} (${(error as Error).message})` : String(error);
}

export interface CertificateDirWatcherOptions {
  /** Called with the new scan whenever it differs from the last one; never for the first. */
  readonly onChange: (scan: CertificateDirScan) => void;
  /** Quiet time after a file event before rescanning: an editor or `cp` writes in steps. */
  readonly debounceMs?: number;
  /**
   * The safety net: fs.watch misses changes on some mounts (NFS, some overlay and FUSE file
   * systems) and loses a directory that is removed and made again, and a certificate can
   * expire with no file touched.
   */
  readonly rescanEveryMs?: number;
  readonly now?: () => Date;
  /** Where a failing `onChange` is reported; it must not stop the watching. */
  readonly log?: { error(message: string, fields?: Record<string, unknown>): void };
}

/**
 * Keeps a scan of one directory current: a rescan shortly after any file event in it, and
 * every `rescanEveryMs` with the watch made anew, one scan at a time.
 */
export class CertificateDirWatcher {
  readonly #dir: string;
  readonly #options: CertificateDirWatcherOptions;
  readonly #now: () => Date;
  #scan: CertificateDirScan = { certificates: [], problems: [] };
  #watcher: FSWatcher | null = null;
  #debounce: ReturnType<typeof setTimeout> | null = null;
  #periodic: ReturnType<typeof setInterval> | null = null;
  #scanning = false;
  #scanAgain = false;
  #closed = false;

  constructor(dir: string, options: CertificateDirWatcherOptions) {
    this.#dir = dir;
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** Scans once and starts watching; resolves with the first scan. */
  async start(): Promise<CertificateDirScan> {
    if (this.#periodic || this.#closed) return this.#scan;
    this.#arm();
    this.#scan = await scanCertificateDir(this.#dir, this.#now());
    if (!this.#closed) {
      this.#periodic = setInterval(() => {
        // A watch on a directory that was removed and made again sees nothing: renew it.
        this.#disarm();
        this.#arm();
        this.#rescan();
      }, this.#options.rescanEveryMs ?? 30_000);
    }
    return this.#scan;
  }

  /** The latest scan. */
  current(): CertificateDirScan {
    return this.#scan;
  }

  /** Stops watching; no callback runs after this returns. */
  close(): void {
    this.#closed = true;
    if (this.#periodic) clearInterval(this.#periodic);
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#periodic = this.#debounce = null;
    this.#disarm();
  }

  #arm(): void {
    if (this.#watcher || this.#closed) return;
    try {
      this.#watcher = watch(this.#dir, { persistent: false }, () => this.#soon());
      this.#watcher.on("error", () => this.#disarm());
    } catch {
      // Missing or unreadable: the scan reports it, and the periodic rescan tries again.
      this.#watcher = null;
    }
  }

  #disarm(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }

  #soon(): void {
    if (this.#closed) return;
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      this.#rescan();
    }, this.#options.debounceMs ?? 200);
  }

  /** One scan at a time; a request during a scan runs one more after it. */
  async #rescan(): Promise<void> {
    if (this.#closed) return;
    if (this.#scanning) {
      this.#scanAgain = true;
      return;
    }
    this.#scanning = true;
    try {
      do {
        this.#scanAgain = false;
        const scan = await scanCertificateDir(this.#dir, this.#now());
        if (this.#closed) return;
        if (sameScan(scan, this.#scan)) continue;
        this.#scan = scan;
        try {
          this.#options.onChange(scan);
        } catch (error) {
          this.#options.log?.error("certificate directory listener failed", { dir: this.#dir, error: String(error) });
        }
      } while (this.#scanAgain && !this.#closed);
    } finally {
      this.#scanning = false;
    }
  }
}
