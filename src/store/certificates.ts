/**
 * Certificates uploaded through the API (`PUT /api/certificates/<name>`): kept where the
 * services are, in ZooKeeper (shared by every instance) or in files in the data directory.
 * A store holds names and PEM bodies only; whether a body is a usable certificate is decided
 * before it is put (src/tls/certificate.ts) and again before HAProxy is given it.
 * @module
 */

import { join } from "node:path";
import { CertificateFileStore } from "./certificate-file-store.ts";
import { CertificateZkStore, certificatesZkPath } from "./certificate-zk-store.ts";
import { ZkKeeper } from "./zk-keeper.ts";
import type { StoreLog } from "./types.ts";

/** One certificate as stored: its name (see certificateNameProblem) and its PEM body, key included. */
export interface StoredCertificate {
  readonly name: string;
  readonly pem: string;
}

export interface CertificateStoreStatus {
  readonly kind: "file" | "zookeeper";
  readonly connected: boolean;
  readonly lastError: string | null;
}

/** Same promises as the services {@link import("./types.ts").Store}, for certificates. */
export interface CertificateStore {
  /** Loads the first state; never throws because a backend is down (the store then serves what it knows). */
  start(): Promise<void>;
  /** Every certificate, sorted by name. */
  list(): readonly StoredCertificate[];
  get(name: string): StoredCertificate | undefined;
  /**
   * Create or replace; resolves once the write is durable. Throws StoreUnavailableError when
   * it cannot be made now, StoreError when it never can (a bad name, a body too large).
   */
  put(certificate: StoredCertificate): Promise<void>;
  /** Resolves false when there was nothing to delete. Throws like {@link put}. */
  delete(name: string): Promise<boolean>;
  /** Called with the full list after every change, local or remote. Returns an unsubscribe function. */
  watch(listener: (certificates: readonly StoredCertificate[]) => void): () => void;
  status(): CertificateStoreStatus;
  close(): Promise<void>;
}

export interface CertificateStoreOptions {
  /** The services store's ZooKeeper settings; no hosts means the file store. */
  readonly zookeeper: { readonly hosts: readonly string[]; readonly path: string; readonly auth: string };
  readonly dataDir: string;
  readonly log: StoreLog;
  /** The services store's session, so an appliance holds one; without it the store opens its own. */
  readonly keeper?: ZkKeeper | null;
}

/**
 * Picks the backend the services use: ZooKeeper beside the services node (see
 * {@link certificatesZkPath}), else `<dataDir>/certificates/`. Not started yet.
 */
export function createCertificateStore(options: CertificateStoreOptions): CertificateStore {
  const { hosts, path, auth } = options.zookeeper;
  if (hosts.length > 0) {
    return new CertificateZkStore({
      keeper: options.keeper ?? new ZkKeeper({ hosts, auth, log: options.log }),
      path: certificatesZkPath(path),
      snapshotPath: join(options.dataDir, "zookeeper-certificates.json"),
      log: options.log,
    });
  }
  return new CertificateFileStore(join(options.dataDir, "certificates"), options.log);
}
