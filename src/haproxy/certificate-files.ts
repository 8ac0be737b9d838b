import { mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../system/atomic-file.ts";
import { crtListText, type ServedTls } from "./certificate-plan.ts";

/** The files bamboo names its served certificates with (routing/template-data.ts certificatePath); others in the directory are left alone. */
const SERVED_FILE = /^(api|dir)-.+\.pem$/;

/**
 * Puts HTTPS's files where the config names them: every certificate (mode 0600: they hold
 * private keys), the crt-list, and no file of a certificate no longer served. A reload, a
 * restart or a crash restart then loads what runs. Not flushed to disk: every start writes
 * them again from the store and the certificate directory.
 */
export async function writeServedTls(tls: ServedTls): Promise<void> {
  const dir = dirname(tls.crtList);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const certificate of tls.certificates) await writeFileAtomic(certificate.path, certificate.pem, { durable: false, mode: 0o600 });
  await writeFileAtomic(tls.crtList, crtListText(tls.certificates), { durable: false, mode: 0o600 });
  const wanted = new Set(tls.certificates.map((certificate) => certificate.path));
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if (SERVED_FILE.test(name) && !wanted.has(path)) await rm(path, { force: true });
  }
}
