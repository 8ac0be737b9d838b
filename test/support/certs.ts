import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Certificates made by openssl for tests: a CA, an intermediate, and leaves for the hosts a
 * test names. Everything lives in a temp directory removed by `cleanup()`.
 */
export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), "bamboo-pki-"));

  constructor() {
    this.#openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", this.#path("ca.key"), "-out", this.#path("ca.pem"), "-days", "3650", "-subj", "/CN=Bamboo Test Root");
    this.#issue("intermediate", "/CN=Bamboo Test Intermediate", "ca", ["basicConstraints=critical,CA:true", "keyUsage=critical,keyCertSign,cRLSign"], 3650);
  }

  /** A leaf for `hosts` (subjectAltName DNS entries; none: CN only), issued by the intermediate; PEM of certificate, key. */
  leaf(name: string, hosts: readonly string[], options: { days?: number; cn?: string } = {}): { certificate: string; key: string; chain: string } {
    const extensions = hosts.length > 0 ? [`subjectAltName=${hosts.map((host) => `DNS:${host}`).join(",")}`] : [];
    this.#issue(name, `/CN=${options.cn ?? hosts[0] ?? name}`, "intermediate", extensions, options.days ?? 90);
    return { certificate: this.read(`${name}.pem`), key: this.read(`${name}.key`), chain: this.read("intermediate.pem") };
  }

  read(file: string): string {
    return readFileSync(this.#path(file), "utf8");
  }

  /** `key` encrypted with a passphrase, as HAProxy cannot load it. */
  encrypted(key: string): string {
    writeFileSync(this.#path("plain.key"), key);
    return this.#openssl("pkey", "-in", this.#path("plain.key"), "-aes256", "-passout", "pass:secret");
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  #issue(name: string, subject: string, issuer: string, extensions: readonly string[], days: number): void {
    this.#openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", this.#path(`${name}.key`), "-out", this.#path(`${name}.csr`), "-subj", subject);
    writeFileSync(this.#path(`${name}.ext`), `${extensions.join("\n")}\n`);
    this.#openssl("x509", "-req", "-in", this.#path(`${name}.csr`), "-CA", this.#path(`${issuer}.pem`), "-CAkey", this.#path(`${issuer}.key`), "-CAcreateserial", "-out", this.#path(`${name}.pem`), "-days", String(days), "-extfile", this.#path(`${name}.ext`));
  }

  #openssl(...args: string[]): string {
    const result = Bun.spawnSync(["openssl", ...args], { stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`);
    return result.stdout.toString();
  }

  #path(file: string): string {
    return join(this.dir, file);
  }
}
