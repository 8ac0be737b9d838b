import type { CertificateStore, StoredCertificate } from "../store/certificates.ts";
import { inspectCertificate, type CertificateVerdict, type NamedCertificate } from "../tls/certificate.ts";
import type { CertificateDirScan } from "../tls/certificate-dir.ts";
import type { Logger } from "../system/log.ts";

/** A certificate that is known but cannot be served, and why. */
export interface CertificateProblem {
  readonly source: NamedCertificate["source"];
  /** The certificate's name, or the file for the directory. */
  readonly name: string;
  readonly message: string;
}

/** What the sources hold right now; a new object whenever any of it changed. */
export interface CertificateSet {
  /** Sorted by source, then name. */
  readonly certificates: readonly NamedCertificate[];
  readonly problems: readonly CertificateProblem[];
}

/**
 * The certificates HAProxy should serve, gathered from the store (API uploads, checked when
 * they were written) and the certificate directory (checked at every scan). A stored body is
 * read again here, once per body: another instance or a tool may have written it into
 * ZooKeeper, and nothing unread reaches HAProxy. Its expiry is reported, not enforced: it
 * keeps serving until it is replaced, as it would in any other server.
 */
export class CertificateSources {
  readonly #read = new WeakMap<StoredCertificate, CertificateVerdict>();
  #stored: readonly StoredCertificate[] | null = null;
  #dir: CertificateDirScan = { certificates: [], problems: [] };
  #set: CertificateSet = { certificates: [], problems: [] };

  constructor(
    private readonly store: Pick<CertificateStore, "list">,
    private readonly log: Pick<Logger, "warn">,
  ) {}

  current(): CertificateSet {
    const stored = this.store.list();
    if (stored !== this.#stored) {
      this.#stored = stored;
      this.#set = this.#combine();
    }
    return this.#set;
  }

  /** The directory's latest scan (tls/certificate-dir.ts). */
  setDirScan(scan: CertificateDirScan): void {
    this.#dir = scan;
    this.#set = this.#combine();
  }

  #combine(): CertificateSet {
    const set = this.#gather();
    const before = new Set(this.#set.problems.map(problemKey));
    // Each is logged once, when it appears, not at every change of the others.
    for (const problem of set.problems) if (!before.has(problemKey(problem))) this.log.warn("certificate not served", { ...problem });
    return set;
  }

  #gather(): CertificateSet {
    const certificates: NamedCertificate[] = [];
    const problems: CertificateProblem[] = [];
    for (const stored of this.#stored ?? []) {
      let verdict = this.#read.get(stored);
      if (verdict === undefined) this.#read.set(stored, (verdict = inspectCertificate(stored.pem, null)));
      if (verdict.ok) certificates.push({ name: stored.name, source: "api", info: verdict.certificate });
      else problems.push({ source: "api", name: stored.name, message: `stored certificate not served: ${verdict.message}` });
    }
    for (const file of this.#dir.certificates) certificates.push({ name: file.name, source: "dir", info: file.info });
    for (const problem of this.#dir.problems) problems.push({ source: "dir", name: problem.file, message: problem.message });
    return { certificates: certificates.sort(bySourceAndName), problems };
  }
}

function problemKey(problem: CertificateProblem): string {
  return `${problem.source}\u0000${problem.name}\u0000${problem.message}`;
}

function bySourceAndName(a: NamedCertificate, b: NamedCertificate): number {
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
