/** An HTTPS Marathon signed by a private CA: trusted only through MARATHON_CA_CERT. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MarathonClient } from "../../src/marathon/client.ts";
import { MarathonError } from "../../src/marathon/errors.ts";
import { MarathonTransport } from "../../src/marathon/transport.ts";

let dir = "";
let server: ReturnType<typeof Bun.serve> | undefined;

function openssl(...args: string[]): void {
  const result = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bamboo-marathon-tls-"));
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=bamboo test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext");
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: Bun.file(join(dir, "server.pem")), key: Bun.file(join(dir, "server.key")) },
    fetch: () => Response.json({ apps: [{ id: "/secure", instances: 0 }] }),
  });
});

afterAll(() => {
  server?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const connection = (caCertPath: string) =>
  new MarathonTransport({
    endpoints: [`https://127.0.0.1:${server?.port}`],
    user: "",
    password: "",
    authToken: "",
    caCertPath,
    requestTimeoutMs: 2_000,
    maxResponseBytes: 1024 * 1024,
  });

test("with the CA configured, an HTTPS Marathon is trusted", async () => {
  const { apps } = await new MarathonClient(connection(join(dir, "ca.pem"))).fetchApps();
  expect(apps.map((a) => a.id)).toEqual(["/secure"]);
});

test("without it, the certificate is refused", async () => {
  await expect(new MarathonClient(connection("")).fetchApps()).rejects.toBeInstanceOf(MarathonError);
});

test("an unreadable CA file is an error that names the setting", async () => {
  await expect(new MarathonClient(connection(join(dir, "missing.pem"))).fetchApps()).rejects.toThrow("MARATHON_CA_CERT");
});
