import { addCertificateSteps, crtListLine, MAX_SSL_PAYLOAD_BYTES, removeCertificateSteps, renewCertificateSteps, type SslStep } from "./ssl-commands.ts";

/** A certificate as HAProxy is to serve it: its file, its PEM and the SNI names it answers. */
export interface ServedCertificate {
  /** Absolute path of the PEM file, in the certificate directory the crt-list names. */
  readonly path: string;
  readonly pem: string;
  /** SNI names of its crt-list line; wildcards as `*.example.com`. */
  readonly hosts: readonly string[];
}

/** What HTTPS serves besides the config: the crt-list file and the certificates it names, in its order. */
export interface ServedTls {
  readonly crtList: string;
  readonly certificates: readonly ServedCertificate[];
}

export type CertificatePlan =
  | { readonly kind: "none" }
  | { readonly kind: "runtime"; readonly steps: readonly SslStep[] }
  | { readonly kind: "reload"; readonly reasons: readonly string[] };

/**
 * How the served certificates become the wanted ones (issue 18): nothing, runtime API steps
 * (add, renew, remove: no reload), or a reload when a certificate cannot travel through the
 * CLI (longer than its buffer). A crt-list line cannot be edited in place, so a file's host
 * names are part of its identity: whoever names the files gives a certificate whose names
 * change a new path (then it is added, and the old one removed); the same path with other
 * names is answered with a reload rather than a moment without a certificate. Additions and
 * renewals come before removals, so a host moving to another certificate always has one. Pure.
 */
export function planCertificates(served: readonly ServedCertificate[], wanted: readonly ServedCertificate[], crtList: string): CertificatePlan {
  const before = new Map(served.map((certificate) => [certificate.path, certificate]));
  const after = new Set(wanted.map((certificate) => certificate.path));
  const reasons: string[] = [];
  const additions: SslStep[] = [];
  const removals: SslStep[] = [];
  for (const certificate of wanted) {
    const was = before.get(certificate.path);
    if (was !== undefined && was.pem === certificate.pem && sameHosts(was.hosts, certificate.hosts)) continue;
    const tooLong = Buffer.byteLength(certificate.pem) > MAX_SSL_PAYLOAD_BYTES || crtListLine(certificate.path, certificate.hosts).length > MAX_SSL_PAYLOAD_BYTES;
    if (tooLong) reasons.push(`certificate ${certificate.path} is longer than the runtime API carries`);
    else if (was === undefined) additions.push(...addCertificateSteps(certificate.path, certificate.pem, crtList, certificate.hosts));
    else if (!sameHosts(was.hosts, certificate.hosts)) reasons.push(`certificate ${certificate.path} answers other host names`);
    else additions.push(...renewCertificateSteps(certificate.path, certificate.pem));
  }
  for (const certificate of served) if (!after.has(certificate.path)) removals.push(...removeCertificateSteps(certificate.path, crtList));
  if (reasons.length > 0) return { kind: "reload", reasons };
  const steps = [...additions, ...removals];
  return steps.length === 0 ? { kind: "none" } : { kind: "runtime", steps };
}

/** The crt-list file's text for `certificates`: one line each, as the runtime steps leave it. */
export function crtListText(certificates: readonly ServedCertificate[]): string {
  return certificates.map((certificate) => `${crtListLine(certificate.path, certificate.hosts)}\n`).join("");
}

function sameHosts(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((host, i) => host === b[i]);
}
