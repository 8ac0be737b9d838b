import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { isPublicSuffix } from "../routing/acl/index.ts";

/**
 * What bamboo checks before a certificate may reach HAProxy (issue 18): one PEM body holding
 * a certificate, the chain that issued it, in order, and its private key. Everything is
 * decided here, before anything is stored or sent to HAProxy, so a bad upload changes nothing
 * that serves. Pure apart from the clock, which is passed in.
 *
 * @module
 */

/** Host names per certificate, as public CAs allow: each is an SNI filter in HAProxy's crt-list line. */
export const MAX_HOSTS = 100;

/** Larger bodies are refused unread: a certificate with its chain is a few kilobytes. */
export const MAX_PEM_BYTES = 1024 * 1024;

/** A certificate bamboo accepted, as the API lists it and HAProxy loads it. */
export interface CertificateInfo {
  /** The host names it serves (subjectAltName DNS entries, else the subject's CN), wildcards included. */
  readonly hosts: readonly string[];
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the certificate, colon-separated hex. */
  readonly fingerprint: string;
  /** What HAProxy is given: the certificate, its chain, then the key, each block once, no blank line between. */
  readonly pem: string;
}

/** Where a served certificate comes from: uploaded through the API (kept in the store) or a file of BAMBOO_CERT_DIR. */
export type CertificateSource = "api" | "dir";

/** A certificate to serve: its name within its source, and what it holds. */
export interface NamedCertificate {
  readonly name: string;
  readonly source: CertificateSource;
  readonly info: CertificateInfo;
}

export type CertificateVerdict = { readonly ok: true; readonly certificate: CertificateInfo } | { readonly ok: false; readonly message: string };

const KEY_BLOCKS = new Set(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]);

interface PemBlock {
  readonly type: string;
  readonly text: string;
}

/**
 * Checks a PEM body: size, blocks bamboo knows, exactly one unencrypted private key, a
 * certificate that key belongs to first, each further certificate the issuer of the one
 * before, every certificate valid at `now` (unless null), host names, and no wildcard over a public suffix.
 * The message names what is wrong and what to do.
 *
 * @example inspectCertificate(readFileSync("shop.pem", "utf8"), new Date()) // { ok: true, certificate: { hosts: ["shop.example"], ... } }
 */
export function inspectCertificate(body: string, now: Date | null): CertificateVerdict {
  const refuse = (message: string): CertificateVerdict => ({ ok: false, message });
  if (Buffer.byteLength(body) > MAX_PEM_BYTES) return refuse(`the body is larger than ${MAX_PEM_BYTES} bytes; a certificate with its chain and key is a few kilobytes`);
  const blocks = pemBlocks(body);
  if (blocks.length === 0) return refuse("no PEM block found: send the certificate, its chain and its private key, each between -----BEGIN ...----- and -----END ...----- lines");
  const unknown = blocks.find((block) => block.type !== "CERTIFICATE" && !KEY_BLOCKS.has(block.type));
  if (unknown?.type === "ENCRYPTED PRIVATE KEY") return refuse("the private key is encrypted, and HAProxy cannot ask for its passphrase: decrypt it first (openssl pkey -in key.pem -out key-plain.pem)");
  if (unknown) return refuse(`a '${unknown.type}' block is not part of a certificate bundle: send only CERTIFICATE blocks and one PRIVATE KEY`);

  const keyBlocks = blocks.filter((block) => KEY_BLOCKS.has(block.type));
  if (keyBlocks.length === 0) return refuse("no private key: append the certificate's private key (a PRIVATE KEY block)");
  if (keyBlocks.length > 1) return refuse(`${keyBlocks.length} private keys: send one certificate with its own key per upload`);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyBlocks[0]!.text);
  } catch (error) {
    return refuse(`the private key cannot be read: ${(error as Error).message}`);
  }

  const certificates: X509Certificate[] = [];
  for (const [index, block] of blocks.filter((b) => b.type === "CERTIFICATE").entries()) {
    try {
      certificates.push(new X509Certificate(block.text));
    } catch (error) {
      return refuse(`certificate ${index + 1} cannot be read: ${(error as Error).message}`);
    }
  }
  if (certificates.length === 0) return refuse("no certificate: send the CERTIFICATE block the key belongs to, then its chain");

  const leaf = certificates[0]!;
  if (!leaf.checkPrivateKey(key)) {
    const owner = certificates.findIndex((certificate) => certificate.checkPrivateKey(key));
    if (owner > 0) return refuse(`the certificates are in the wrong order: the one the key belongs to (${nameOf(certificates[owner]!)}) must come first, then the one that issued it, and so on`);
    return refuse(`the private key does not belong to the certificate for ${nameOf(leaf)}: send the key it was issued for`);
  }
  for (let i = 1; i < certificates.length; i++) {
    const [child, parent] = [certificates[i - 1]!, certificates[i]!];
    if (child.checkIssued(parent) && child.verify(parent.publicKey)) continue;
    const issuer = certificates.find((candidate) => candidate !== child && child.checkIssued(candidate) && child.verify(candidate.publicKey));
    if (issuer) return refuse(`the chain is in the wrong order: ${nameOf(child)} must be followed by its issuer ${nameOf(issuer)}`);
    return refuse(`certificate ${i + 1} (${nameOf(parent)}) did not issue certificate ${i} (${nameOf(child)}): a body holds one certificate and the chain that issued it, one upload per certificate`);
  }
  // null: a certificate accepted before is read again to be served; its expiry is a warning then, not a refusal.
  const outOfDate = now === null ? undefined : certificates.find((certificate) => now < certificate.validFromDate || now > certificate.validToDate);
  if (outOfDate && now) {
    const name = certificates.length === 1 ? "the certificate" : `the certificate for ${nameOf(outOfDate)}`;
    if (now < outOfDate.validFromDate) return refuse(`${name} is not valid before ${outOfDate.validFromDate.toISOString()}`);
    return refuse(`${name} expired on ${outOfDate.validToDate.toISOString()}: renew it`);
  }

  const hosts = hostsOf(leaf);
  if (hosts.length === 0) return refuse("the certificate names no host: it has no DNS name in subjectAltName and no CN");
  if (hosts.length > MAX_HOSTS) return refuse(`the certificate names ${hosts.length} hosts, more than ${MAX_HOSTS}: split it (public CAs issue at most 100 names per certificate)`);
  const broad = hosts.find((host) => host.startsWith("*.") && isPublicSuffix(host.slice(2)));
  if (broad) return refuse(`the wildcard '${broad}' covers a public suffix, so it would answer for other organisations' hosts`);
  const pem = [...certificates.map((certificate) => certificate.toString().trim()), keyBlocks[0]!.text.trim()].join("\n");
  return {
    ok: true,
    certificate: { hosts, subject: leaf.subject, issuer: leaf.issuer, notBefore: leaf.validFromDate, notAfter: leaf.validToDate, fingerprint: leaf.fingerprint256, pem: `${pem}\n` },
  };
}

/** Whether a certificate expires within `days` of `now`: a warning, not a refusal. */
export function expiresWithin(certificate: Pick<CertificateInfo, "notAfter">, now: Date, days: number): boolean {
  return certificate.notAfter.getTime() - now.getTime() < days * 86_400_000;
}

function pemBlocks(body: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of body.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g)) blocks.push({ type: match[1]!, text: match[0].replace(/\r\n/g, "\n") });
  return blocks;
}

/** subjectAltName's DNS names, lower-cased; the CN when there are none, as older clients read it. */
function hostsOf(certificate: X509Certificate): string[] {
  const names = (certificate.subjectAltName ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice(4).toLowerCase());
  if (names.length > 0) return [...new Set(names)];
  const cn = commonNameOf(certificate);
  return cn ? [cn.toLowerCase()] : [];
}

function nameOf(certificate: X509Certificate): string {
  return `'${commonNameOf(certificate) ?? certificate.subject.replace(/\n/g, ", ")}'`;
}

function commonNameOf(certificate: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
}
