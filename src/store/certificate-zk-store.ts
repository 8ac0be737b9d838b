/**
 * API certificates in ZooKeeper, shared by every bamboo instance: one child node per
 * certificate, named by the certificate and holding its PEM, private key included. The
 * nodes sit beside the services node, never under it, because Bamboo instances read every
 * child of that node as a service. With BAMBOO_ZK_AUTH only bamboo's digest identity can
 * read or change them; without it anyone who reaches ZooKeeper can read the keys, which
 * start() says once in the log.
 *
 * Reads are served from a local copy that survives every ZooKeeper failure (and a restart,
 * through a private snapshot file); writes go to ZooKeeper or fail fast. The session is the
 * one the services store uses (zk-keeper.ts), so reconnects and expiry are handled once.
 * @module
 */

import type { ACL } from "node-zookeeper-client";
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { certificateNameProblem } from "../tls/certificate-name.ts";
import { CertificateList, storeRefusal } from "./certificate-file-store.ts";
import { writeFileAtomic } from "../system/atomic-file.ts";
import type { CertificateStore, CertificateStoreStatus, StoredCertificate } from "./certificates.ts";
import { chrootHint, privateAcl, siblingPath } from "./zk-layout.ts";
import type { ZkKeeper } from "./zk-keeper.ts";
import { ZkMirror } from "./zk-mirror.ts";
import { ZkReplica } from "./zk-replica.ts";
import { ZK_CODES, ZkOpError } from "./zk-session.ts";
import type { StoreLog } from "./types.ts";

/**
 * ZooKeeper refuses a request over jute.maxbuffer (1 MiB by default), and a write carries
 * the path and ACL beside the data: leave them room.
 */
export const ZK_MAX_CERTIFICATE_BYTES = 1_000_000;

const SNAPSHOT_FORMAT = "bamboo-certificates/1";

/**
 * Where certificates live for a services path: its sibling `<path>-certificates`, e.g.
 * `/marathon-haproxy/state-certificates`. Throws for the root, which has no sibling.
 */
export function certificatesZkPath(servicesPath: string): string {
  return siblingPath(servicesPath, "certificates");
}

/** Where the certificates live; the session (hosts, auth, timeouts) is the keeper's. */
export interface CertificateZkStoreOptions {
  /** The session this store shares with the services store. */
  readonly keeper: ZkKeeper;
  /** The node holding one child per certificate; see {@link certificatesZkPath}. */
  readonly path: string;
  /** Last certificates seen (mode 0600), served while ZooKeeper cannot be reached at boot. */
  readonly snapshotPath: string;
  /** How long start() waits for a first full read before serving the snapshot. */
  readonly bootWaitMs?: number;
  readonly log?: StoreLog;
}

/** The ZooKeeper-backed {@link CertificateStore}. */
export class CertificateZkStore implements CertificateStore {
  readonly #path: string;
  readonly #snapshotPath: string;
  readonly #keeper: ZkKeeper;
  readonly #log?: StoreLog;
  readonly #list: CertificateList;
  readonly #mirror: ZkMirror<StoredCertificate>;
  readonly #replica: ZkReplica;
  readonly #acl: ACL[];
  #snapshotWrite: Promise<void> = Promise.resolve();

  constructor(options: CertificateZkStoreOptions) {
    this.#path = options.path.replace(/\/+$/, "");
    this.#snapshotPath = options.snapshotPath;
    this.#keeper = options.keeper;
    this.#log = options.log;
    this.#list = new CertificateList(options.log);
    this.#acl = privateAcl(options.keeper.auth);
    this.#replica = new ZkReplica(
      {
        keeper: options.keeper,
        path: this.#path,
        acl: this.#acl,
        noun: "certificates",
        readFailedMessage: "full read of certificates from ZooKeeper failed",
        readHint: (error) => readHint(options.keeper.hosts, error),
        bootWaitMs: options.bootWaitMs,
        log: options.log,
      },
      {
        fullRead: (session) => this.#mirror.fullRead(session),
        resetWatches: () => this.#mirror.resetWatches(),
        synced: () => this.#publish(true),
      },
    );
    this.#mirror = new ZkMirror<StoredCertificate>(this.#path, {
      // Events during a full read are handled too: ignoring one would lose its watch.
      session: () => this.#replica.session(),
      changed: () => this.#publish(),
      needFullRead: (reason) => this.#replica.requestFullRead(reason),
    }, {
      watchBase: false,
      // Nodes someone else put here under names bamboo cannot use are left alone, with a warning.
      unusableName: certificateNameProblem,
      decode: (name, body) => {
        const pem = body?.toString("utf8") ?? "";
        return pem.includes("-----BEGIN ") ? { ok: true, value: { name, pem } } : { ok: false, reason: "the node holds no PEM block" };
      },
      skipped: (name, reason) => this.#log?.warn("skipping a ZooKeeper certificate node that cannot be used", { path: `${this.#path}/${name}`, reason }),
    });
  }

  /** Serves the snapshot, joins the session, and waits (at most bootWaitMs) for a first full read. */
  async start(): Promise<void> {
    if (this.#keeper.auth === "") {
      this.#log?.warn("certificates in ZooKeeper are not protected: anyone who can reach ZooKeeper can read their private keys; set BAMBOO_ZK_AUTH", { path: this.#path });
    }
    this.#list.replaceAll(await this.#readSnapshot());
    if (!(await this.#replica.start())) {
      this.#log?.warn("ZooKeeper not reachable yet; serving the last known certificates", {
        hosts: this.#keeper.connectionString, certificates: this.#list.list().length, error: this.#replica.lastError,
      });
    }
  }

  list(): readonly StoredCertificate[] {
    return this.#list.list();
  }

  get(name: string): StoredCertificate | undefined {
    return this.#list.get(name);
  }

  async put(certificate: StoredCertificate): Promise<void> {
    const refusal = storeRefusal(certificate, this.#list, ZK_MAX_CERTIFICATE_BYTES, "a ZooKeeper node");
    if (refusal) throw refusal;
    const what = `save certificate ${certificate.name}`;
    const session = this.#replica.writable(what);
    const path = `${this.#path}/${certificate.name}`;
    const body = Buffer.from(certificate.pem);
    try {
      await session.setData(path, body).catch(async (error: unknown) => {
        if (!(error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE)) throw error;
        await session.create(path, body, this.#acl).catch(async (createError: unknown) => {
          // Another instance created it in between: ours is the later write.
          if (!(createError instanceof ZkOpError && createError.code === ZK_CODES.NODE_EXISTS)) throw createError;
          await session.setData(path, body);
        });
      });
    } catch (error) {
      throw this.#replica.writeError(what, path, error);
    }
    this.#mirror.applyLocal(certificate.name, { name: certificate.name, pem: certificate.pem });
    this.#publish();
  }

  async delete(name: string): Promise<boolean> {
    const what = `delete certificate ${name}`;
    const session = this.#replica.writable(what);
    const path = `${this.#path}/${name}`;
    if (certificateNameProblem(name) !== null) return false;
    try {
      await session.remove(path);
    } catch (error) {
      if (error instanceof ZkOpError && error.code === ZK_CODES.NO_NODE) return false;
      throw this.#replica.writeError(what, path, error);
    }
    this.#mirror.applyLocal(name, null);
    this.#publish();
    return true;
  }

  watch(listener: (certificates: readonly StoredCertificate[]) => void): () => void {
    return this.#list.subscribe(listener);
  }

  status(): CertificateStoreStatus {
    return { kind: "zookeeper", connected: this.#replica.connected, lastError: this.#replica.lastError };
  }

  async close(): Promise<void> {
    this.#replica.close();
    await this.#snapshotWrite;
  }

  /** Makes the mirror the served state; the snapshot follows every change and every full read. */
  #publish(afterFullRead = false): void {
    if (!this.#replica.synced) return;
    this.#list.replaceAll(this.#mirror.values());
    if (this.#list.notify() || afterFullRead) this.#saveSnapshot(this.#list.list());
  }

  async #readSnapshot(): Promise<StoredCertificate[]> {
    let text: string;
    try {
      text = await readFile(this.#snapshotPath, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") this.#log?.warn("ignoring the ZooKeeper certificates snapshot", { file: this.#snapshotPath, error: (error as Error).message });
      return [];
    }
    try {
      const parsed = JSON.parse(text) as { format?: unknown; certificates?: unknown };
      if (parsed?.format !== SNAPSHOT_FORMAT || !Array.isArray(parsed.certificates)) throw new Error(`expected a JSON object with "format": "${SNAPSHOT_FORMAT}"`);
      return (parsed.certificates as unknown[]).filter((entry): entry is StoredCertificate => {
        const { name, pem } = (entry ?? {}) as Partial<StoredCertificate>;
        return typeof name === "string" && typeof pem === "string" && certificateNameProblem(name) === null;
      }).map(({ name, pem }) => ({ name, pem }));
    } catch (error) {
      this.#log?.warn("ignoring the ZooKeeper certificates snapshot", { file: this.#snapshotPath, error: (error as Error).message });
      return [];
    }
  }

  #saveSnapshot(certificates: readonly StoredCertificate[]): void {
    const path = this.#snapshotPath;
    const text = `${JSON.stringify({ format: SNAPSHOT_FORMAT, certificates })}\n`;
    this.#snapshotWrite = this.#snapshotWrite
      .then(async () => {
        await mkdir(dirname(path), { recursive: true });
        await writeFileAtomic(path, text, { mode: 0o600 });
      })
      .catch((error: unknown) => this.#log?.warn("could not save the ZooKeeper certificates snapshot", { error: (error as Error).message }));
  }
}

/** What to do about a failed read, or "". */
function readHint(hosts: readonly string[], error: unknown): string {
  if (error instanceof ZkOpError && error.code === ZK_CODES.NO_AUTH) {
    return " (certificate nodes can be read only with the BAMBOO_ZK_AUTH credentials that wrote them; use the same ones on every instance)";
  }
  return chrootHint(hosts, error);
}
