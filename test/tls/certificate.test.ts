import { afterAll, describe, expect, test } from "bun:test";
import { expiresWithin, inspectCertificate, MAX_HOSTS, MAX_PEM_BYTES } from "../../src/tls/certificate.ts";
import { selfSignedCertificate } from "../../src/tls/self-signed.ts";
import { TestPki } from "../support/certs.ts";

const pki = new TestPki();
afterAll(() => pki.cleanup());

const shop = pki.leaf("shop", ["shop.example", "*.shop.example"]);
const other = pki.leaf("other", ["other.example"]);
const cnOnly = pki.leaf("cn-only", [], { cn: "legacy.example" });
const suffixWildcard = pki.leaf("suffix", ["*.co.uk"]);
const root = pki.read("ca.pem");
const now = new Date();
const later = (days: number) => new Date(now.getTime() + days * 86_400_000);

describe("inspectCertificate accepts", () => {
  test("a certificate, its chain and its key: hosts, issuer, dates, and the PEM HAProxy gets", () => {
    const verdict = inspectCertificate(`${shop.certificate}${shop.chain}${shop.key}`, now);
    if (!verdict.ok) throw new Error(verdict.message);
    const { certificate } = verdict;
    expect(certificate.hosts).toEqual(["shop.example", "*.shop.example"]);
    expect(certificate.issuer).toContain("Bamboo Test Intermediate");
    expect(certificate.notAfter > now && certificate.notBefore <= now).toBe(true);
    expect(certificate.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(certificate.pem).not.toMatch(/\n\n/);
    expect(certificate.pem.match(/-----BEGIN/g)).toHaveLength(3);
  });

  test.each([
    ["with the key first", () => `${shop.key}${shop.certificate}${shop.chain}`],
    ["with CRLF line ends and text around the blocks", () => `Bag Attributes\r\n${shop.certificate.replace(/\n/g, "\r\n")}\n\n${shop.chain}${shop.key}`],
    ["without a chain", () => `${shop.certificate}${shop.key}`],
    ["with the chain up to the root", () => `${shop.certificate}${shop.chain}${root}${shop.key}`],
  ])("%s", (_name, body) => {
    expect(inspectCertificate(body(), now).ok).toBe(true);
  });

  test("a certificate without subjectAltName serves its CN", () => {
    const verdict = inspectCertificate(`${cnOnly.certificate}${cnOnly.key}`, now);
    expect(verdict.ok && verdict.certificate.hosts).toEqual(["legacy.example"]);
  });
});

describe("inspectCertificate refuses, naming the problem", () => {
  test.each([
    ["not PEM", () => "hello", "no PEM block found"],
    ["no key", () => `${shop.certificate}${shop.chain}`, "no private key"],
    ["no certificate", () => shop.key, "no certificate"],
    ["a key that does not match", () => `${shop.certificate}${shop.chain}${other.key}`, "does not belong to the certificate for 'shop.example'"],
    ["two keys", () => `${shop.certificate}${shop.key}${other.key}`, "2 private keys"],
    ["the chain before the certificate", () => `${shop.chain}${shop.certificate}${shop.key}`, "wrong order: the one the key belongs to ('shop.example') must come first"],
    ["the root before the intermediate", () => `${shop.certificate}${root}${shop.chain}${shop.key}`, "'shop.example' must be followed by its issuer 'Bamboo Test Intermediate'"],
    ["two unrelated certificates", () => `${shop.certificate}${other.certificate}${shop.key}`, "certificate 2 ('other.example') did not issue certificate 1 ('shop.example')"],
    ["an encrypted key", () => `${shop.certificate}${pki.encrypted(shop.key)}`, "the private key is encrypted"],
    ["a block of another kind", () => `${shop.certificate}${shop.key}-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n`, "a 'X509 CRL' block is not part of a certificate bundle"],
    ["a broken certificate", () => `-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n${shop.key}`, "certificate 1 cannot be read"],
    ["a wildcard over a public suffix", () => `${suffixWildcard.certificate}${suffixWildcard.key}`, "the wildcard '*.co.uk' covers a public suffix"],
    ["more than 1 MB", () => `${shop.certificate}${shop.key}${" ".repeat(MAX_PEM_BYTES)}`, "larger than 1048576 bytes"],
  ])("%s", (_name, body, message) => {
    const verdict = inspectCertificate(body(), now);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toContain(message);
  });

  test("an expired certificate, and one not valid yet", () => {
    const body = `${shop.certificate}${shop.chain}${shop.key}`;
    const expired = inspectCertificate(body, later(91));
    expect(!expired.ok && expired.message).toMatch(/the certificate for 'shop.example' expired on .*: renew it/);
    const early = inspectCertificate(body, later(-1));
    expect(!early.ok && early.message).toMatch(/is not valid before/);
  });
});

test("expiry within 14 days is told apart", () => {
  const verdict = inspectCertificate(`${shop.certificate}${shop.key}`, now);
  if (!verdict.ok) throw new Error(verdict.message);
  expect(expiresWithin(verdict.certificate, now, 14)).toBe(false);
  expect(expiresWithin(verdict.certificate, later(80), 14)).toBe(true);
});

test("more host names than a public CA would put in one certificate are refused", () => {
  const hosts = Array.from({ length: MAX_HOSTS + 1 }, (_, i) => `h${i}.example`);
  const many = inspectCertificate(selfSignedCertificate({ hosts, now: new Date() }), new Date());
  expect(!many.ok && many.message).toBe(`the certificate names ${MAX_HOSTS + 1} hosts, more than ${MAX_HOSTS}: split it (public CAs issue at most 100 names per certificate)`);
  expect(inspectCertificate(selfSignedCertificate({ hosts: hosts.slice(1), now: new Date() }), new Date()).ok).toBe(true);
});
