import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../system/atomic-file.ts";
import type { Logger } from "../system/log.ts";
import { expiresWithin, inspectCertificate, type CertificateInfo } from "./certificate.ts";
import { readPemFile } from "./certificate-dir.ts";
import { selfSignedCertificate } from "./self-signed.ts";

/** The certificate HTTPS answers with for a host no certificate names, and where it came from. */
export interface DefaultCertificate {
  readonly source: "configured" | "generated";
  /** The file it was read from (BAMBOO_DEFAULT_CERT) or generated into. */
  readonly file: string;
  readonly info: CertificateInfo;
}

/** A generated certificate this close to its end is made again at start. */
const RENEW_WITHIN_DAYS = 30;

/**
 * The default certificate (issue 18 item 3): the operator's (`BAMBOO_DEFAULT_CERT`), refused
 * at start when it is not a usable bundle, or a self-signed one bamboo generated once and
 * kept in the data directory (mode 0600), so every restart serves the same one.
 */
export async function loadDefaultCertificate(options: {
  readonly configuredPath: string;
  readonly generatedPath: string;
  readonly now: Date;
  readonly log: Pick<Logger, "info" | "warn">;
}): Promise<DefaultCertificate> {
  const { configuredPath, generatedPath, now, log } = options;
  if (configuredPath !== "") {
    const verdict = inspectCertificate(await readBounded(configuredPath, "BAMBOO_DEFAULT_CERT"), null);
    if (!verdict.ok) throw new Error(`BAMBOO_DEFAULT_CERT=${configuredPath}: ${verdict.message}`);
    if (expiresWithin(verdict.certificate, now, 0)) log.warn("the default certificate has expired", { file: configuredPath, notAfter: verdict.certificate.notAfter.toISOString() });
    return { source: "configured", file: configuredPath, info: verdict.certificate };
  }
  const kept = await readFile(generatedPath, "utf8").then(
    (text) => inspectCertificate(text, null),
    () => null,
  );
  if (kept?.ok && !expiresWithin(kept.certificate, now, RENEW_WITHIN_DAYS)) return { source: "generated", file: generatedPath, info: kept.certificate };
  const verdict = inspectCertificate(selfSignedCertificate({ now }), now);
  if (!verdict.ok) throw new Error(`the generated default certificate is not usable: ${verdict.message}`);
  await writeFileAtomic(generatedPath, verdict.certificate.pem, { mode: 0o600 });
  log.info("generated a self-signed default certificate for hosts no certificate names", { file: generatedPath, notAfter: verdict.certificate.notAfter.toISOString() });
  return { source: "generated", file: generatedPath, info: verdict.certificate };
}

async function readBounded(path: string, setting: string): Promise<string> {
  const read = await readPemFile(path);
  if (read === "directory") throw new Error(`${setting}=${path}: a directory; name the PEM file`);
  if (!read.ok) throw new Error(`${setting}=${path}: ${read.message}`);
  return read.text;
}
