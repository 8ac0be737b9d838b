import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectCertificate } from "../../src/tls/certificate.ts";
import { derElement, derLength, derOid, derTime, derUnsignedInteger } from "../../src/tls/der.ts";
import { DEFAULT_COMMON_NAME, selfSignedCertificate } from "../../src/tls/self-signed.ts";
import { HAPROXY_BIN, waitFor } from "../support/haproxy-env.ts";
import { freePort } from "../support/ports.ts";

const dir = mkdtempSync(join(tmpdir(), "bamboo-self-signed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const now = new Date("2026-03-01T12:00:00Z");
const DAY_MS = 86_400_000;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function run(command: string[], stdin?: string): { code: number; output: string } {
  const result = Bun.spawnSync(command, { stdin: stdin === undefined ? "ignore" : Buffer.from(stdin), stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, output: `${result.stdout.toString()}${result.stderr.toString()}` };
}

function writePem(name: string, pem: string): string {
  const path = join(dir, name);
  writeFileSync(path, pem);
  return path;
}

describe("DER encoding", () => {
  test.each([
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "8180"],
    [255, "81ff"],
    [256, "820100"],
    [65535, "82ffff"],
    [65536, "83010000"],
  ])("length %p is %p (short form to 127, then the fewest long-form bytes)", (length, expected) => {
    expect(hex(derLength(length))).toBe(expected);
  });

  test.each([-1, 1.5, Number.NaN])("length %p is refused", (length) => {
    expect(() => derLength(length)).toThrow(RangeError);
  });

  test("an element's header carries the long-form length of its contents", () => {
    const element = derElement(0x04, Buffer.alloc(300, 7));
    expect(hex(element.subarray(0, 4))).toBe("0482012c");
    expect(element.length).toBe(304);
  });

  test.each([
    ["a small number", "05", "020105"],
    ["leading zeros dropped", "000005", "020105"],
    ["zero", "0000", "020100"],
    ["a zero put back before a set top bit", "80", "02020080"],
    ["a two-byte magnitude", "0100", "02020100"],
  ])("unsigned INTEGER: %s", (_name, magnitude, expected) => {
    expect(hex(derUnsignedInteger(Buffer.from(magnitude, "hex")))).toBe(expected);
  });

  test.each([
    ["commonName", "2.5.4.3", "0603550403"],
    ["ecdsa-with-SHA256 (multi-byte arcs)", "1.2.840.10045.4.3.2", "06082a8648ce3d040302"],
    ["serverAuth", "1.3.6.1.5.5.7.3.1", "06082b06010505070301"],
  ])("OID %s", (_name, dotted, expected) => {
    expect(hex(derOid(dotted))).toBe(expected);
  });

  test.each(["1", "3.1", "1.40", "1.x.3"])("OID %p is refused", (dotted) => {
    expect(() => derOid(dotted)).toThrow(RangeError);
  });

  test.each([
    ["UTCTime in 1950", "1950-01-01T00:00:00Z", "17", "500101000000Z"],
    ["UTCTime through 2049", "2049-12-31T23:59:59.999Z", "17", "491231235959Z"],
    ["GeneralizedTime from 2050", "2050-01-01T00:00:00Z", "18", "20500101000000Z"],
    ["GeneralizedTime before 1950", "1949-12-31T23:59:59Z", "18", "19491231235959Z"],
  ])("time: %s", (_name, iso, tag, text) => {
    const encoded = derTime(new Date(iso));
    expect(hex(encoded.subarray(0, 1))).toBe(tag);
    expect(encoded.subarray(2).toString("latin1")).toBe(text);
  });
});

describe("selfSignedCertificate", () => {
  const pem = selfSignedCertificate({ commonName: "bamboo test", hosts: ["localhost", "*.apps.test"], days: 30, now });
  const certificatePem = pem.slice(0, pem.indexOf("-----BEGIN PRIVATE KEY-----"));

  test("is one PEM body: the certificate, then a PKCS#8 private key", () => {
    expect(pem.match(/-----BEGIN [A-Z ]+-----/g)).toEqual(["-----BEGIN CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----"]);
  });

  test("passes bamboo's own certificate check", () => {
    const verdict = inspectCertificate(pem, new Date(now.getTime() + DAY_MS));
    if (!verdict.ok) throw new Error(verdict.message);
    expect(verdict.certificate.hosts).toEqual(["localhost", "*.apps.test"]);
    expect(verdict.certificate.subject).toBe("CN=bamboo test");
    expect(verdict.certificate.issuer).toBe("CN=bamboo test");
  });

  test("node:crypto reads its host names, dates and a self-signature", () => {
    const certificate = new X509Certificate(certificatePem);
    expect(certificate.subjectAltName).toBe("DNS:localhost, DNS:*.apps.test");
    expect(certificate.validFromDate.toISOString()).toBe("2026-03-01T11:00:00.000Z");
    expect(certificate.validToDate.toISOString()).toBe("2026-03-31T12:00:00.000Z");
    expect(certificate.ca).toBe(false);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.checkHost("x.apps.test")).toBe("*.apps.test");
    expect(certificate.checkHost("apps.test")).toBeUndefined();
  });

  test("has a random, positive 16-byte serial: two certificates never share one", () => {
    const serials = [0, 1, 2].map(() => new X509Certificate(selfSignedCertificate({ now })).serialNumber);
    for (const serial of serials) expect(serial).toMatch(/^[0-7][0-9A-F]{31}$/);
    expect(new Set(serials).size).toBe(3);
  });

  test("defaults: bamboo's common name and localhost", () => {
    const certificate = new X509Certificate(selfSignedCertificate({ now }));
    expect(certificate.subject).toBe(`CN=${DEFAULT_COMMON_NAME}`);
    expect(certificate.subjectAltName).toBe("DNS:localhost");
  });

  test("openssl parses it: v3, not a CA, digital signature, server authentication", () => {
    const { code, output } = run(["openssl", "x509", "-noout", "-text"], certificatePem);
    expect(code).toBe(0);
    expect(output).toContain("Version: 3 (0x2)");
    expect(output).toContain("Signature Algorithm: ecdsa-with-SHA256");
    expect(output).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(output).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(output).toMatch(/Extended Key Usage:\s*\n\s+TLS Web Server Authentication/);
    expect(output).toContain("DNS:localhost, DNS:*.apps.test");
  });

  test("openssl verifies it against itself", () => {
    const fresh = writePem("verify.pem", selfSignedCertificate({ now: new Date() }));
    const { code, output } = run(["openssl", "verify", "-CAfile", fresh, fresh]);
    expect(output).toContain(": OK");
    expect(code).toBe(0);
  });

  test.each([
    ["no hosts", { hosts: [] }, "at least one DNS name"],
    ["a host that is not a DNS name", { hosts: ["bad host"] }, "'bad host' is not a DNS name"],
    ["a wildcard in the middle", { hosts: ["a.*.test"] }, "'a.*.test' is not a DNS name"],
    ["an empty common name", { commonName: "" }, "commonName must be 1 to 64 characters"],
    ["zero days", { days: 0 }, "days must be a whole number of at least 1"],
  ])("refuses %s", (_name, options, message) => {
    expect(() => selfSignedCertificate({ now, ...options })).toThrow(message);
  });
});

describe("HAProxy serves it", () => {
  const pem = selfSignedCertificate({ now: new Date() });
  const crt = writePem("haproxy.pem", pem);
  const config = (port: number) =>
    [
      "global",
      "    maxconn 100",
      "defaults",
      "    mode http",
      "    timeout connect 2s",
      "    timeout client 5s",
      "    timeout server 5s",
      "frontend https",
      `    bind 127.0.0.1:${port} ssl crt ${crt}`,
      "    http-request return status 200 content-type text/plain string served",
      "",
    ].join("\n");

  test("haproxy -c accepts it in a bind line", () => {
    // -c binds nothing, so any port will do.
    const cfg = writePem("check.cfg", config(8443));
    const { code, output } = run([HAPROXY_BIN, "-c", "-f", cfg]);
    expect(output).toContain("Configuration file is valid");
    expect(code).toBe(0);
  });

  test("a TLS handshake with openssl s_client completes and verifies for localhost", async () => {
    const port = await freePort();
    const cfg = writePem("serve.cfg", config(port));
    const haproxy = Bun.spawn([HAPROXY_BIN, "-db", "-f", cfg], { stdout: "ignore", stderr: "pipe" });
    try {
      const handshake = await waitFor(() => {
        const result = run(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", "-CAfile", crt, "-verify_hostname", "localhost", "-verify_return_error"], "");
        return result.output.includes("CONNECTED") ? result : null;
      }, "HAProxy's TLS listener");
      expect(handshake.output).toContain("Verify return code: 0 (ok)");
      expect(handshake.output).toContain(`subject=CN = ${DEFAULT_COMMON_NAME}`);
      expect(handshake.code).toBe(0);
    } finally {
      haproxy.kill("SIGKILL");
      await haproxy.exited;
    }
  });
});
