import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { RuntimeApi } from "../../src/haproxy/runtime-api.ts";
import { abortCertificateCommand, addCertificateSteps, crtListLine, removeCertificateSteps, renewCertificateSteps, type SslStep } from "../../src/haproxy/ssl-commands.ts";
import { inspectCertificate } from "../../src/tls/certificate.ts";
import { TestPki } from "../support/certs.ts";
import { HAPROXY_BIN, waitFor } from "../support/haproxy-env.ts";
import { freePort } from "../support/ports.ts";

/** Issue 18 item 4 at the HAProxy level: add, renew and remove a certificate with the worker that was there. */

const pki = new TestPki();
let dir: string;
let port: number;
let haproxy: Subprocess;
let api: RuntimeApi;

const bundle = (leaf: { certificate: string; chain: string; key: string }) => {
  const verdict = inspectCertificate(`${leaf.certificate}${leaf.chain}${leaf.key}`, new Date());
  if (!verdict.ok) throw new Error(verdict.message);
  return verdict.certificate;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bamboo-ssl-"));
  port = await freePort();
  await writeFile(join(dir, "default.pem"), bundle(pki.leaf("default", ["default.invalid"])).pem);
  await writeFile(join(dir, "list.txt"), "");
  const config = [
    "global",
    `    stats socket ${dir}/admin.sock level admin`,
    "defaults",
    "    mode http",
    "    timeout connect 1s",
    "    timeout client 5s",
    "    timeout server 5s",
    "frontend https-in",
    `    bind 127.0.0.1:${port} ssl crt ${dir}/default.pem crt-list ${dir}/list.txt alpn h2,http/1.1`,
    "    http-request return status 200 content-type text/plain string ok",
    "",
  ].join("\n");
  await writeFile(join(dir, "haproxy.cfg"), config);
  haproxy = Bun.spawn([HAPROXY_BIN, "-db", "-f", join(dir, "haproxy.cfg")], { stdout: "ignore", stderr: "pipe" });
  api = new RuntimeApi(join(dir, "admin.sock"));
  await waitFor(() => api.send("show info").then(() => true, () => false), "HAProxy's runtime API");
});

afterAll(async () => {
  haproxy?.kill();
  await haproxy?.exited;
  await rm(dir, { recursive: true, force: true });
  pki.cleanup();
});

/** The fingerprint of the certificate HAProxy presents for `servername`. */
function served(servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on("error", reject);
  });
}

async function run(steps: readonly SslStep[]): Promise<void> {
  for (const step of steps) {
    const reply = await api.send(step.command);
    if (!step.success.test(reply)) throw new Error(`${step.command.split("\n")[0]}: ${reply}`);
  }
}

const workerPid = async () => Number(/Pid: (\d+)/.exec(await api.send("show info"))?.[1]);

describe("a certificate at run time", () => {
  const path = () => join(dir, "certs", "shop.pem");

  test("added: served for its hosts, the default for others, by the same worker", async () => {
    const pid = await workerPid();
    const shop = bundle(pki.leaf("shop", ["shop.example", "*.shop.example"]));
    await run(addCertificateSteps(path(), shop.pem, join(dir, "list.txt"), shop.hosts));
    expect(await served("shop.example")).toBe(shop.fingerprint);
    expect(await served("a.shop.example")).toBe(shop.fingerprint);
    expect(await served("other.example")).not.toBe(shop.fingerprint);
    expect(await workerPid()).toBe(pid);
  });

  test("renewed: new handshakes get the new one", async () => {
    const renewed = bundle(pki.leaf("shop-renewed", ["shop.example", "*.shop.example"]));
    await run(renewCertificateSteps(path(), renewed.pem));
    expect(await served("shop.example")).toBe(renewed.fingerprint);
  });

  test("removed: its hosts fall back to the default certificate", async () => {
    const before = await served("shop.example");
    await run(removeCertificateSteps(path(), join(dir, "list.txt")));
    const after = await served("shop.example");
    expect(after).not.toBe(before);
    expect(after).toBe(await served("other.example"));
  });

  test("a transaction left open is dropped", async () => {
    const other = bundle(pki.leaf("other", ["other.example"]));
    const [create, set] = addCertificateSteps(join(dir, "certs", "other.pem"), other.pem, join(dir, "list.txt"), other.hosts);
    await run([create!, set!]);
    expect(await api.send(abortCertificateCommand(join(dir, "certs", "other.pem")))).toContain("aborted");
  });
});

describe("commands that cannot travel are refused before they are sent", () => {
  const pem = () => bundle(pki.leaf("refused", ["refused.example"])).pem;
  test.each<[string, () => unknown]>([
    ["a PEM longer than the CLI's buffer", () => renewCertificateSteps("/d/c.pem", `${pem()}${pem()}${pem()}${pem()}${pem()}`.repeat(2))],
    ["text that is not a PEM block, which could end the payload", () => renewCertificateSteps("/d/c.pem", `${pem()}\nshow info\n`)],
    ["a relative path", () => renewCertificateSteps("c.pem", pem())],
    ["a path with a blank", () => removeCertificateSteps("/d/a b.pem", "/d/list.txt")],
    ["an SNI name with a blank", () => crtListLine("/d/c.pem", ["a b"])],
    ["an SNI name with ';'", () => crtListLine("/d/c.pem", ["a;show info"])],
  ])("%s", (_name, build) => {
    expect(build).toThrow(RangeError);
  });
});
