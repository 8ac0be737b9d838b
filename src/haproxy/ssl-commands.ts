import { assertCliPath } from "./runtime-api.ts";

/**
 * Runtime API commands that add, renew and remove a certificate without a reload (issue 18),
 * as HAProxy 2.6 takes them: a certificate is created empty (`new ssl cert`), filled in a
 * transaction (`set ssl cert <<` + PEM) that `commit ssl cert` makes live, and served for its
 * host names once a crt-list line names it. Each step carries the reply that means success:
 * these commands answer failures in words no common prefix covers ("No ongoing transaction!",
 * "unable to load..."), and a payload longer than the CLI's buffer gets an empty reply.
 *
 * @module
 */

/** One command and the reply that says it worked. */
export interface SslStep {
  readonly command: string;
  readonly success: RegExp;
}

/**
 * HAProxy reads a CLI payload into one `tune.bufsize` buffer (16 KiB); a longer one was seen
 * to get an empty reply and no transaction. Certificates longer than this are applied by a
 * reload from the file instead.
 */
export const MAX_SSL_PAYLOAD_BYTES = 16_384 - 1_024;

/** Steps that make `pem` served for `hosts` from `path`, listed in the crt-list `list`. */
export function addCertificateSteps(path: string, pem: string, list: string, hosts: readonly string[]): SslStep[] {
  return [
    { command: `new ssl cert ${checkedPath(path)}`, success: /New empty certificate store/ },
    ...renewCertificateSteps(path, pem),
    { command: `add ssl crt-list ${checkedPath(list)} <<\n${crtListLine(path, hosts)}\n\n`, success: /Success!/ },
  ];
}

/** Steps that replace the certificate at `path` with `pem`; connections already open keep theirs. */
export function renewCertificateSteps(path: string, pem: string): SslStep[] {
  const body = payloadOf(pem);
  return [
    { command: `set ssl cert ${checkedPath(path)} <<\n${body}\n\n`, success: /Transaction (created|updated) for certificate/ },
    { command: `commit ssl cert ${checkedPath(path)}`, success: /Success!/ },
  ];
}

/** Steps that stop serving the certificate at `path` and free it. */
export function removeCertificateSteps(path: string, list: string): SslStep[] {
  return [
    { command: `del ssl crt-list ${checkedPath(list)} ${checkedPath(path)}`, success: /deleted/i },
    { command: `del ssl cert ${checkedPath(path)}`, success: /deleted/i },
  ];
}

/** The command that drops a transaction left open by a failed step. */
export function abortCertificateCommand(path: string): string {
  return `abort ssl cert ${checkedPath(path)}`;
}

/** A crt-list line: the certificate's file, then the SNI names it answers (wildcards as `*.example.com`). */
export function crtListLine(path: string, hosts: readonly string[]): string {
  for (const host of hosts) {
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) throw new RangeError(`invalid SNI host name: ${JSON.stringify(host)}`);
  }
  return [checkedPath(path), ...hosts].join(" ");
}

function payloadOf(pem: string): string {
  // The payload ends at its first empty line, and a ';' would not survive the CLI's parsing.
  const body = pem.replace(/\r\n/g, "\n").split("\n").filter((line) => line.trim() !== "").join("\n");
  if (!/^-----BEGIN [A-Z ]+-----\n[A-Za-z0-9+/=\n]+\n-----END [A-Z ]+-----(\n-----BEGIN [A-Z ]+-----\n[A-Za-z0-9+/=\n]+\n-----END [A-Z ]+-----)*$/.test(body)) {
    throw new RangeError("a certificate payload holds PEM blocks only");
  }
  if (Buffer.byteLength(body) > MAX_SSL_PAYLOAD_BYTES) throw new RangeError(`a certificate longer than ${MAX_SSL_PAYLOAD_BYTES} bytes cannot travel through the runtime API`);
  return body;
}

function checkedPath(path: string): string {
  assertCliPath(path, "certificate");
  return path;
}
