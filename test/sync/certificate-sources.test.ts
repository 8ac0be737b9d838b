import { afterAll, expect, test } from "bun:test";
import type { StoredCertificate } from "../../src/store/certificates.ts";
import { CertificateSources } from "../../src/sync/certificate-sources.ts";
import { inspectCertificate } from "../../src/tls/certificate.ts";
import { TestPki } from "../support/certs.ts";

const pki = new TestPki();
afterAll(() => pki.cleanup());

const bundle = (name: string, hosts: string[]) => {
  const leaf = pki.leaf(name, hosts);
  return `${leaf.certificate}${leaf.chain}${leaf.key}`;
};

function setup(stored: StoredCertificate[]) {
  let list: readonly StoredCertificate[] = stored;
  const warnings: Record<string, unknown>[] = [];
  const sources = new CertificateSources({ list: () => list }, { warn: (_message, fields) => warnings.push(fields ?? {}) });
  return { sources, warnings, setList: (next: StoredCertificate[]) => (list = next) };
}

test("stored and directory certificates are served side by side, sorted by source and name; a body that does not read is a problem", () => {
  const shopPem = bundle("shop", ["shop.example"]);
  const { sources, warnings } = setup([{ name: "shop", pem: shopPem }, { name: "broken", pem: "not a certificate" }]);
  const filesInfo = inspectCertificate(bundle("files", ["files.example"]), null);
  if (!filesInfo.ok) throw new Error(filesInfo.message);
  sources.setDirScan({ certificates: [{ name: "files", pem: filesInfo.certificate.pem, file: "/certs/files.pem", info: filesInfo.certificate }], problems: [{ file: "/certs/bad.pem", message: "no private key" }] });
  const set = sources.current();
  expect(set.certificates.map((certificate) => `${certificate.source}/${certificate.name}`)).toEqual(["api/shop", "dir/files"]);
  expect(set.problems).toEqual([
    { source: "api", name: "broken", message: expect.stringContaining("stored certificate not served: no PEM block found") },
    { source: "dir", name: "/certs/bad.pem", message: "no private key" },
  ]);
  // Each problem is logged once, however often the set is asked for or changes otherwise.
  sources.current();
  sources.setDirScan({ certificates: [], problems: [{ file: "/certs/bad.pem", message: "no private key" }] });
  expect(warnings.map((fields) => fields.name).sort()).toEqual(["/certs/bad.pem", "broken"]);
});

test("the same stored list gives the same set; a write gives a new one", () => {
  const { sources, setList } = setup([{ name: "shop", pem: bundle("shop2", ["shop.example"]) }]);
  const first = sources.current();
  expect(sources.current()).toBe(first);
  setList([]);
  expect(sources.current().certificates).toEqual([]);
});
