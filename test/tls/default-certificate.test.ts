import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDefaultCertificate } from "../../src/tls/default-certificate.ts";
import { TestPki } from "../support/certs.ts";

const dir = mkdtempSync(join(tmpdir(), "bamboo-default-cert-"));
const pki = new TestPki();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  pki.cleanup();
});
const log = { info: () => undefined, warn: () => undefined };

test("generated once, kept readable by its owner only, and the same at the next start", async () => {
  const generatedPath = join(dir, "default-certificate.pem");
  const first = await loadDefaultCertificate({ configuredPath: "", generatedPath, now: new Date(), log });
  expect(first).toMatchObject({ source: "generated", file: generatedPath });
  expect(first.info.hosts).toEqual(["localhost"]);
  expect(statSync(generatedPath).mode & 0o777).toBe(0o600);
  const again = await loadDefaultCertificate({ configuredPath: "", generatedPath, now: new Date(), log });
  expect(again.info.fingerprint).toBe(first.info.fingerprint);
  // Close to its end it is made anew.
  const late = await loadDefaultCertificate({ configuredPath: "", generatedPath, now: new Date(first.info.notAfter.getTime() - 86_400_000), log });
  expect(late.info.fingerprint).not.toBe(first.info.fingerprint);
});

test("the operator's certificate is used as given, and a bad one stops the start naming the setting", async () => {
  const leaf = pki.leaf("fallback", ["fallback.example"]);
  const good = join(dir, "good.pem");
  writeFileSync(good, `${leaf.certificate}${leaf.chain}${leaf.key}`);
  const loaded = await loadDefaultCertificate({ configuredPath: good, generatedPath: join(dir, "unused.pem"), now: new Date(), log });
  expect(loaded).toMatchObject({ source: "configured", file: good });
  expect(loaded.info.hosts).toEqual(["fallback.example"]);
  const bad = join(dir, "bad.pem");
  writeFileSync(bad, leaf.certificate);
  await expect(loadDefaultCertificate({ configuredPath: bad, generatedPath: join(dir, "unused.pem"), now: new Date(), log })).rejects.toThrow(`BAMBOO_DEFAULT_CERT=${bad}: no private key`);
  await expect(loadDefaultCertificate({ configuredPath: join(dir, "missing.pem"), generatedPath: join(dir, "unused.pem"), now: new Date(), log })).rejects.toThrow("BAMBOO_DEFAULT_CERT=");
});
