/**
 * The certificate HAProxy serves when a client asks for a host no certificate covers
 * (issue 18: a clear certificate error, never a failed handshake that hides the cause).
 * Made in-process because the runtime image has no openssl binary: an ECDSA P-256 key from
 * node:crypto and an X.509 v3 certificate encoded by {@link ./der.ts}.
 *
 * @module
 */

import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import {
  contextPrimitiveTag,
  derBitString,
  derBoolean,
  derExplicit,
  derIa5String,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derTime,
  derUnsignedInteger,
  derUtf8String,
} from "./der.ts";

export const DEFAULT_COMMON_NAME = "bamboo default certificate";
export const DEFAULT_HOSTS: readonly string[] = ["localhost"];
/** Long enough not to need renewing in practice; nothing trusts it anyway. */
export const DEFAULT_DAYS = 3650;

export interface SelfSignedOptions {
  readonly commonName?: string;
  /** DNS names for subjectAltName; a `*.` wildcard is allowed. At least one. */
  readonly hosts?: readonly string[];
  /** Valid until `now` plus this many days. */
  readonly days?: number;
  /** Valid from an hour before, so a peer whose clock is a little behind accepts it too. */
  readonly now: Date;
}

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

/** X.520's upper bound for a common name. */
const MAX_COMMON_NAME = 64;
const HOUR_MS = 3_600_000;
const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A new key and a self-signed certificate for it: serverAuth only, not a CA. Returns one PEM
 * body, the certificate then its PKCS#8 private key, as HAProxy's `crt` loads it. Throws a
 * RangeError naming the option that cannot be encoded.
 *
 * @example selfSignedCertificate({ now: new Date() }) // "-----BEGIN CERTIFICATE-----\n...-----BEGIN PRIVATE KEY-----\n..."
 */
export function selfSignedCertificate(options: SelfSignedOptions): string {
  const commonName = options.commonName ?? DEFAULT_COMMON_NAME;
  const hosts = (options.hosts ?? DEFAULT_HOSTS).map((host) => host.toLowerCase());
  const days = options.days ?? DEFAULT_DAYS;
  if (commonName === "" || [...commonName].length > MAX_COMMON_NAME) throw new RangeError(`commonName must be 1 to ${MAX_COMMON_NAME} characters, not ${[...commonName].length}`);
  if (hosts.length === 0) throw new RangeError("hosts must name at least one DNS name, e.g. localhost");
  const badHost = hosts.find((host) => host.length > 253 || !DNS_NAME.test(host));
  if (badHost !== undefined) throw new RangeError(`'${badHost}' is not a DNS name a certificate can hold (letters, digits, '-' and dots, an optional leading '*.')`);
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a whole number of at least 1, not ${days}`);

  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const algorithm = derSequence(derOid(OID.ecdsaWithSha256));
  const name = derSequence(derSet(derSequence(derOid(OID.commonName), derUtf8String(commonName))));
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random ones make collisions moot.
  // The top bit cleared keeps it positive without a padding byte, and a non-zero first
  // byte keeps all 16 (DER drops leading zeros).
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f || 0x01;
  const tbs = derSequence(
    derExplicit(0, derUnsignedInteger(Buffer.from([2]))), // v3
    derUnsignedInteger(serial),
    algorithm,
    name,
    derSequence(derTime(new Date(options.now.getTime() - HOUR_MS)), derTime(new Date(options.now.getTime() + days * 24 * HOUR_MS))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    derExplicit(3, derSequence(
      extension(OID.subjectAltName, false, derSequence(...hosts.map((host) => derIa5String(host, contextPrimitiveTag(2))))),
      extension(OID.basicConstraints, true, derSequence()), // cA defaults to FALSE
      extension(OID.keyUsage, true, derBitString(Buffer.from([0x80]), 7)), // digitalSignature, bit 0
      extension(OID.extKeyUsage, false, derSequence(derOid(OID.serverAuth))),
    )),
  );
  // node:crypto signs ECDSA in DER (the SEQUENCE of r and s) unless told otherwise, as X.509 wants.
  const signature = sign("sha256", tbs, privateKey);
  const certificate = derSequence(tbs, algorithm, derBitString(signature));
  return `${toPem("CERTIFICATE", certificate)}${privateKey.export({ type: "pkcs8", format: "pem" }).toString()}`;
}

function extension(oid: string, critical: boolean, value: Uint8Array): Buffer {
  return derSequence(derOid(oid), ...(critical ? [derBoolean(true)] : []), derOctetString(value));
}

function toPem(type: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join("\n")}\n-----END ${type}-----\n`;
}
