import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_PEM_BYTES } from "../../src/tls/certificate.ts";
import { CertificateDirWatcher, MAX_CERTIFICATE_FILES, scanCertificateDir, type CertificateDirScan } from "../../src/tls/certificate-dir.ts";
import { selfSignedCertificate } from "../../src/tls/self-signed.ts";
import { eventually } from "../store/contract.ts";

const root = mkdtempSync(join(tmpdir(), "bamboo-cert-dir-"));
let counter = 0;
const watchers: CertificateDirWatcher[] = [];
afterEach(() => watchers.splice(0).forEach((watcher) => watcher.close()));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const now = new Date();
const pemFor = (host: string, days = 30) => selfSignedCertificate({ hosts: [host], days, now });
const a = pemFor("a.test");
const b = pemFor("b.test");

function freshDir(): string {
  const dir = join(root, `dir-${++counter}`);
  mkdirSync(dir);
  return dir;
}

/** Writes a file the way careful tools do: a temp file, then a rename over the old one. */
function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const names = (scan: CertificateDirScan) => scan.certificates.map((certificate) => certificate.name);
const problemFiles = (scan: CertificateDirScan) => scan.problems.map((problem) => problem.file);

describe("scanCertificateDir", () => {
  test("lists usable .pem files by name and reports each unusable one, ignoring what is not a certificate file", async () => {
    const dir = freshDir();
    const elsewhere = join(root, `outside-${++counter}.pem`);
    writeFileSync(elsewhere, b);
    writeFileSync(join(dir, "a.test.pem"), a);
    symlinkSync(elsewhere, join(dir, "b.pem"));
    writeFileSync(join(dir, "README"), "certificates live here");
    writeFileSync(join(dir, "a.test.key"), "-----BEGIN PRIVATE KEY-----\n");
    writeFileSync(join(dir, ".hidden.pem"), "not read");
    mkdirSync(join(dir, "sub.pem"));
    writeFileSync(join(dir, "Upper.pem"), a);
    writeFileSync(join(dir, "broken.pem"), "hello");
    symlinkSync(join(root, "does-not-exist"), join(dir, "dangling.pem"));

    const scan = await scanCertificateDir(dir, now);
    expect(names(scan)).toEqual(["a.test", "b"]);
    expect(scan.certificates[0]).toMatchObject({ name: "a.test", pem: a, file: join(dir, "a.test.pem") });
    expect(scan.certificates[1]!.info.hosts).toEqual(["b.test"]);
    expect(scan.problems).toEqual([
      { file: join(dir, "Upper.pem"), message: expect.stringContaining("'U' is not allowed (write 'u')") },
      { file: join(dir, "broken.pem"), message: expect.stringContaining("no PEM block found") },
      { file: join(dir, "dangling.pem"), message: expect.stringContaining("cannot open the file: ENOENT") },
    ]);
    expect(scan.problems[0]!.message).toContain("rename the file");
  });

  test("a file larger than MAX_PEM_BYTES is refused unread while the others are listed", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "a.pem"), a);
    writeFileSync(join(dir, "huge.pem"), `${a}${" ".repeat(MAX_PEM_BYTES)}`);
    const scan = await scanCertificateDir(dir, now);
    expect(names(scan)).toEqual(["a"]);
    expect(scan.problems).toEqual([{ file: join(dir, "huge.pem"), message: expect.stringContaining(`more than ${MAX_PEM_BYTES}: not read`) }]);
  });

  test("an expired certificate is a problem naming its file", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "old.pem"), selfSignedCertificate({ hosts: ["old.test"], days: 1, now: new Date(now.getTime() - 10 * 86_400_000) }));
    const scan = await scanCertificateDir(dir, now);
    expect(scan.certificates).toEqual([]);
    expect(scan.problems).toEqual([{ file: join(dir, "old.pem"), message: expect.stringMatching(/expired on .*: renew it/) }]);
  });

  test("a missing directory is a problem, not an exception", async () => {
    const dir = join(root, "missing");
    const scan = await scanCertificateDir(dir, now);
    expect(scan.certificates).toEqual([]);
    expect(scan.problems).toEqual([{ file: dir, message: expect.stringContaining("cannot read the certificate directory: ENOENT") }]);
  });

  test(`at most ${MAX_CERTIFICATE_FILES} files are read, the first by name`, async () => {
    const dir = freshDir();
    for (let i = 0; i <= MAX_CERTIFICATE_FILES; i++) writeFileSync(join(dir, `f${String(i).padStart(4, "0")}.pem`), "x");
    const scan = await scanCertificateDir(dir, now);
    expect(scan.problems).toHaveLength(MAX_CERTIFICATE_FILES + 1);
    expect(scan.problems).toContainEqual({ file: dir, message: expect.stringContaining(`${MAX_CERTIFICATE_FILES + 1} .pem files; only the first ${MAX_CERTIFICATE_FILES} by name are read`) });
    expect(problemFiles(scan)).not.toContain(join(dir, `f${MAX_CERTIFICATE_FILES}.pem`));
  });
});

describe("CertificateDirWatcher", () => {
  async function watched(dir: string, options: { rescanEveryMs?: number; now?: () => Date } = {}) {
    const seen: CertificateDirScan[] = [];
    const watcher = new CertificateDirWatcher(dir, { onChange: (scan) => seen.push(scan), debounceMs: 20, rescanEveryMs: 60_000, ...options });
    watchers.push(watcher);
    const first = await watcher.start();
    return { watcher, seen, first };
  }

  test("sees a file added, replaced by an atomic rename, and deleted", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "a.pem"), a);
    const { watcher, seen, first } = await watched(dir);
    expect(names(first)).toEqual(["a"]);

    writeFileSync(join(dir, "b.pem"), b);
    await eventually(() => names(watcher.current()).join() === "a,b", "the added file");

    const renewed = pemFor("a.test", 60);
    writeAtomically(join(dir, "a.pem"), renewed);
    await eventually(() => watcher.current().certificates[0]?.pem === renewed, "the replaced file");

    rmSync(join(dir, "b.pem"));
    await eventually(() => names(watcher.current()).join() === "a", "the deleted file");
    expect(seen.at(-1)).toBe(watcher.current());
  });

  test("a bad file becomes a problem while the good ones stay listed, and leaves when fixed", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "a.pem"), a);
    const { watcher } = await watched(dir);
    writeFileSync(join(dir, "b.pem"), `${b.slice(0, b.indexOf("-----BEGIN PRIVATE KEY"))}`);
    await eventually(() => watcher.current().problems.length === 1, "the problem");
    expect(watcher.current().problems[0]).toEqual({ file: join(dir, "b.pem"), message: expect.stringContaining("no private key") });
    expect(names(watcher.current())).toEqual(["a"]);
    writeAtomically(join(dir, "b.pem"), b);
    await eventually(() => names(watcher.current()).join() === "a,b" && watcher.current().problems.length === 0, "the fix");
  });

  test("a rewrite with the same content is not a change", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "a.pem"), a);
    let scans = 0;
    const { seen } = await watched(dir, { now: () => (scans++, now) });
    const before = scans;
    writeAtomically(join(dir, "a.pem"), a);
    await eventually(() => scans > before, "the rescan after the rewrite");
    writeFileSync(join(dir, "b.pem"), b);
    await eventually(() => seen.length > 0 && names(seen.at(-1)!).join() === "a,b", "the real change after it");
    expect(seen).toHaveLength(1);
  });

  test("follows a Kubernetes-style swap of a symlinked directory", async () => {
    const dir = freshDir();
    mkdirSync(join(dir, "..v1"));
    writeFileSync(join(dir, "..v1", "a.pem"), a);
    symlinkSync("..v1", join(dir, "..data"));
    symlinkSync("..data/a.pem", join(dir, "a.pem"));
    const { watcher, first } = await watched(dir);
    expect(first.certificates.map((c) => c.pem)).toEqual([a]);

    const renewed = pemFor("a.test", 60);
    mkdirSync(join(dir, "..v2"));
    writeFileSync(join(dir, "..v2", "a.pem"), renewed);
    symlinkSync("..v2", join(dir, "..data_tmp"));
    renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
    rmSync(join(dir, "..v1"), { recursive: true });
    await eventually(() => watcher.current().certificates[0]?.pem === renewed, "the swapped certificate");
  });

  test("the periodic rescan finds a directory made after start and a certificate that expired untouched", async () => {
    const dir = join(root, `later-${++counter}`);
    let clock = now;
    const { watcher, first } = await watched(dir, { rescanEveryMs: 50, now: () => clock });
    expect(first.problems[0]?.message).toContain("ENOENT");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.pem"), a);
    await eventually(() => names(watcher.current()).join() === "a", "the new directory's certificate");
    clock = new Date(now.getTime() + 31 * 86_400_000);
    await eventually(() => watcher.current().problems.length === 1, "the expiry");
    expect(watcher.current().problems[0]!.message).toContain("expired");
  });

  test("a failing listener is reported and watching goes on", async () => {
    const dir = freshDir();
    const errors: string[] = [];
    let calls = 0;
    const watcher = new CertificateDirWatcher(dir, {
      debounceMs: 20,
      onChange: () => {
        calls++;
        throw new Error("consumer broke");
      },
      log: { error: (message, fields) => errors.push(`${message} ${JSON.stringify(fields)}`) },
    });
    watchers.push(watcher);
    await watcher.start();
    writeFileSync(join(dir, "a.pem"), a);
    await eventually(() => calls === 1, "the first change");
    writeFileSync(join(dir, "b.pem"), b);
    await eventually(() => calls === 2, "the second change");
    expect(errors[0]).toContain("consumer broke");
  });

  test("after close() nothing is called, whatever changes", async () => {
    const dir = freshDir();
    const { watcher, seen } = await watched(dir, { rescanEveryMs: 20 });
    watcher.close();
    writeFileSync(join(dir, "a.pem"), a);
    // A negative can only be watched for a while: several debounce and rescan periods.
    await Bun.sleep(200);
    expect(seen).toEqual([]);
    expect(watcher.current().certificates).toEqual([]);
  });
});
