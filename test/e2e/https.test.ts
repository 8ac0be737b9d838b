import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectCertificate } from "../../src/tls/certificate.ts";
import { selfSignedCertificate } from "../../src/tls/self-signed.ts";
import { eventually, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { TestPki } from "../support/certs.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/**
 * Issue 18 from the outside: certificates uploaded through the API and dropped into
 * BAMBOO_CERT_DIR are served by SNI through the real HAProxy, added, renewed and removed by
 * the worker that was already there; bad ones change nothing. Real TLS clients: curl with
 * --resolve and openssl s_client.
 */

const pki = new TestPki();
let sim: MarathonSim;
let bamboo: RunningAppliance;
let certDir: string;

interface Status {
  haproxy: { workerPid: number; reloads: number };
  https: { enabled: boolean; certificates: number };
  problems: { message: string }[];
}

const bundleOf = (leaf: { certificate: string; chain: string; key: string }) => `${leaf.certificate}${leaf.chain}${leaf.key}`;
const fingerprintOf = (pem: string) => {
  const verdict = inspectCertificate(pem, null);
  if (!verdict.ok) throw new Error(verdict.message);
  return verdict.certificate.fingerprint;
};

async function status(): Promise<Status> {
  return (await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as Status;
}

async function upload(name: string, pem: string, raw = false): Promise<Response> {
  const headers = raw ? { ...bamboo.writer, "content-type": "application/x-pem-file" } : bamboo.writer;
  return fetch(`${bamboo.api}/api/certificates/${name}`, { method: "PUT", headers, body: raw ? pem : JSON.stringify({ pem }) });
}

/** The SHA-256 fingerprint of the certificate HAProxy presents for `servername`, as openssl s_client sees it. */
async function servedFingerprint(servername: string): Promise<string> {
  const client = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${bamboo.httpsPort}`, "-servername", servername], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  const text = await new Response(client.stdout).text();
  await client.exited;
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  if (!pem) return "";
  const x509 = new (await import("node:crypto")).X509Certificate(pem);
  return x509.fingerprint256;
}

/**
 * curl over HTTPS to `host` (resolved to 127.0.0.1), trusting the test CA: status, HTTP version
 * and headers. The Host header (HTTP/2's :authority) names the host alone, as a browser's does
 * on port 443: host rules match the header as sent, and the test's port is not 443.
 */
async function curl(host: string, path = "/", extra: readonly string[] = []): Promise<{ code: number; version: string; headers: string }> {
  const url = `https://${host}:${bamboo.httpsPort}${path}`;
  const client = Bun.spawn(
    ["curl", "-s", "-D", "-", "-o", "/dev/null", "--max-time", "5", "--cacert", join(pki.dir, "ca.pem"), "--resolve", `${host}:${bamboo.httpsPort}:127.0.0.1`, "-H", `Host: ${host}`, "-w", "%{http_code} %{http_version}", ...extra, url],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(client.stdout).text();
  await client.exited;
  const [code, version] = out.trim().split("\n").at(-1)!.split(" ");
  return { code: Number(code), version: version ?? "", headers: out };
}

async function setRule(id: string, acl: string, config: Record<string, string> = {}): Promise<void> {
  const answer = await fetch(`${bamboo.api}/api/services${id}`, { method: "PUT", headers: bamboo.writer, body: JSON.stringify({ Acl: acl, Config: config }) });
  expect(answer.status).toBe(200);
}

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), "bamboo-certdir-"));
  sim = await MarathonSim.start({ heartbeatMs: 1_000 });
  await sim.deployApp({ id: "/shop", instances: 2 });
  await sim.deployApp({ id: "/blog", instances: 1 });
  bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_CERT_DIR: certDir } });
  await bamboo.waitReady();
  await setRule("/shop", "hdr(host) -i shop.example");
  await setRule("/blog", "hdr(host) -i blog.example");
});

afterAll(async () => {
  await bamboo?.stop();
  await sim?.stop();
  await rm(certDir, { recursive: true, force: true });
  pki.cleanup();
});

describe("HTTPS through the API", () => {
  const shop = bundleOf(pki.leaf("shop", ["shop.example", "*.shop.example"]));

  test("with no certificate there is no HTTPS, and the default certificate is generated", async () => {
    expect((await status()).https).toMatchObject({ enabled: false, certificates: 0 });
    const list = (await (await fetch(`${bamboo.api}/api/certificates`, { headers: bamboo.reader })).json()) as { certificates: unknown[]; default: { source: string; hosts: string[] } };
    expect(list.certificates).toEqual([]);
    expect(list.default).toMatchObject({ source: "generated", hosts: ["localhost"] });
  });

  test("the first certificate turns HTTPS on: SNI picks it, HTTP/2 by ALPN, the scheme and client reach the app", async () => {
    const answer = await upload("shop", shop);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-bamboo-applied")).toBe("reload");
    const body = (await answer.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: "shop", source: "api", hosts: ["shop.example", "*.shop.example"] });
    expect(JSON.stringify(body)).not.toContain("PRIVATE KEY");
    expect(await servedFingerprint("shop.example")).toBe(fingerprintOf(shop));
    expect(await servedFingerprint("api.shop.example")).toBe(fingerprintOf(shop));
    const h2 = await curl("shop.example", "/", ["--http2"]);
    expect(h2).toMatchObject({ code: 200, version: "2" });
    expect(h2.headers).toMatch(/x-seen-forwarded-proto: https/i);
    expect(h2.headers).toMatch(/x-seen-forwarded-for: 127\.0\.0\.1/i);
    const h1 = await curl("shop.example", "/", ["--http1.1"]);
    expect(h1).toMatchObject({ code: 200, version: "1.1" });
    // Plain HTTP still routes, and says so; a client cannot claim HTTPS.
    const plain = await fetch(`${bamboo.http}/`, { headers: { host: "shop.example", "x-forwarded-proto": "https" } });
    expect(plain.headers.get("x-seen-forwarded-proto")).toBe("http");
  });

  test("a host no certificate names gets the default certificate, not a failed handshake", async () => {
    const other = await servedFingerprint("nothing.example");
    expect(other).not.toBe("");
    expect(other).not.toBe(fingerprintOf(shop));
  });

  test("another certificate is added, renewed and removed by the same worker, each served at once", async () => {
    const before = await status();
    const blog = bundleOf(pki.leaf("blog", ["blog.example"]));
    const added = await upload("blog", blog, true);
    expect(added.status).toBe(200);
    expect(added.headers.get("x-bamboo-applied")).toBe("runtime");
    expect(await servedFingerprint("blog.example")).toBe(fingerprintOf(blog));

    const renewed = bundleOf(pki.leaf("blog-renewed", ["blog.example"]));
    const renewal = await upload("blog", renewed);
    expect(renewal.headers.get("x-bamboo-applied")).toBe("runtime");
    expect(await servedFingerprint("blog.example")).toBe(fingerprintOf(renewed));

    const removed = await fetch(`${bamboo.api}/api/certificates/blog`, { method: "DELETE", headers: bamboo.writer });
    expect(removed.status).toBe(200);
    expect(removed.headers.get("x-bamboo-applied")).toBe("runtime");
    expect(await servedFingerprint("blog.example")).toBe(await servedFingerprint("nothing.example"));

    const after = await status();
    expect(after.haproxy.workerPid).toBe(before.haproxy.workerPid);
    expect(after.haproxy.reloads).toBe(before.haproxy.reloads);
  });

  test("task churn under HTTPS keep-alive load: every request answered, no reload", async () => {
    const before = await status();
    const failures: string[] = [];
    let answered = 0;
    let stop = false;
    const load = (async () => {
      // Bounded in count and time, whatever happens to the scaling below.
      const deadline = performance.now() + 15_000;
      while (!stop && answered < 20_000 && performance.now() < deadline) {
        const answer = await fetch(`https://127.0.0.1:${bamboo.httpsPort}/`, { headers: { host: "shop.example" }, tls: { rejectUnauthorized: false } }).catch((error: Error) => error);
        if (answer instanceof Error) failures.push(answer.message);
        else {
          if (answer.status !== 200) failures.push(`HTTP ${answer.status}`);
          await answer.arrayBuffer();
        }
        answered++;
      }
    })();
    const routedTasks = async () => {
      const state = (await (await fetch(`${bamboo.api}/api/state`, { headers: bamboo.reader })).json()) as { Apps: { Id: string; Tasks: unknown[] }[] };
      return state.Apps.find((app) => app.Id === "/shop")!.Tasks.length;
    };
    for (const instances of [4, 1, 3, 2]) {
      await sim.scale("/shop", instances);
      await eventually(`/shop at ${instances} tasks`, async () => (await routedTasks()) === instances, 10_000);
    }
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(20);
    const after = await status();
    expect(after.haproxy.workerPid).toBe(before.haproxy.workerPid);
    expect(after.haproxy.reloads).toBe(before.haproxy.reloads);
  });

  test("the list says which apps' hosts each certificate covers, and what HAProxy serves", async () => {
    const list = (await (await fetch(`${bamboo.api}/api/certificates`, { headers: bamboo.reader })).json()) as { https: { enabled: boolean }; certificates: { name: string; apps: string[]; served: boolean }[] };
    expect(list.https.enabled).toBe(true);
    expect(list.certificates).toEqual([expect.objectContaining({ name: "shop", apps: ["/shop"], served: true })]);
  });

  test.each<[string, () => string, RegExp]>([
    ["not PEM", () => "hello", /no PEM block found/],
    ["a key that does not match", () => `${pki.leaf("mismatch-a", ["a.example"]).certificate}${pki.leaf("mismatch-b", ["b.example"]).key}`, /does not belong to the certificate/],
    ["a chain in the wrong order", () => { const leaf = pki.leaf("order", ["order.example"]); return `${leaf.chain}${leaf.certificate}${leaf.key}`; }, /wrong order/],
    ["an expired certificate", () => selfSignedCertificate({ hosts: ["old.example"], days: 30, now: new Date(Date.now() - 400 * 86_400_000) }), /expired on/],
    ["a wildcard for a public suffix", () => selfSignedCertificate({ hosts: ["*.co.uk"], now: new Date() }), /covers a public suffix/],
    ["two certificates in one body", () => `${bundleOf(pki.leaf("two-a", ["two-a.example"]))}${bundleOf(pki.leaf("two-b", ["two-b.example"]))}`, /private keys/],
    ["more than 1 MB", () => `${shop}${"#".repeat(1_100_000)}`, /larger than/],
  ])("%s is refused with 400 naming the problem, and nothing served changes", async (_name, body, message) => {
    const before = await servedFingerprint("shop.example");
    const answer = await upload("shop", body());
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toMatch(message);
    expect(await servedFingerprint("shop.example")).toBe(before);
  });

  test("a bad name is refused before the body is read", async () => {
    const answer = await upload("Shop..pem", shop);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toContain("certificate name");
  });

  test("the viewer may list but not upload", async () => {
    expect((await fetch(`${bamboo.api}/api/certificates`, { headers: bamboo.reader })).status).toBe(200);
    const answer = await fetch(`${bamboo.api}/api/certificates/shop`, { method: "PUT", headers: { ...bamboo.reader, "content-type": "application/json" }, body: JSON.stringify({ pem: shop }) });
    expect(answer.status).toBe(403);
  });

  test("the expiry metric names each served certificate", async () => {
    const text = await (await fetch(`${bamboo.api}/metrics`, { headers: bamboo.reader })).text();
    expect(text).toMatch(/bamboo_certificate_expiry_timestamp_seconds\{name="shop",source="api"\} \d+/);
    expect(text).toMatch(/bamboo_certificate_expiry_timestamp_seconds\{name="default",source="default"\} \d+/);
  });
});

describe("the certificate directory", () => {
  test("a file dropped in is served without a reload; a bad file is reported and changes nothing", async () => {
    const before = await status();
    const files = bundleOf(pki.leaf("files", ["files.example"]));
    await writeFile(join(certDir, "files.pem"), files);
    await eventually("the directory's certificate", async () => (await servedFingerprint("files.example")) === fingerprintOf(files), 10_000);
    await writeFile(join(certDir, "broken.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    await eventually("the bad file reported", async () => (await status()).problems.some((problem) => problem.message.includes("broken.pem")), 10_000);
    expect(await servedFingerprint("files.example")).toBe(fingerprintOf(files));
    const after = await status();
    expect(after.haproxy.workerPid).toBe(before.haproxy.workerPid);
    expect(after.haproxy.reloads).toBe(before.haproxy.reloads);
  });

  test("a reload (a new app) serves the same certificates from the files on disk", async () => {
    const shopBefore = await servedFingerprint("shop.example");
    const filesBefore = await servedFingerprint("files.example");
    const reloads = (await status()).haproxy.reloads;
    await sim.deployApp({ id: "/new", instances: 1 });
    await eventually("the reload", async () => (await status()).haproxy.reloads > reloads, 10_000);
    expect(await servedFingerprint("shop.example")).toBe(shopBefore);
    expect(await servedFingerprint("files.example")).toBe(filesBefore);
  });
});

describe("redirect to HTTPS, per app", () => {
  test("a service with RedirectToHttps answers HTTP with a 301 to the same URL over HTTPS, and HSTS over HTTPS", async () => {
    await setRule("/shop", "hdr(host) -i shop.example", { RedirectToHttps: "true", Hsts: "max-age=600" });
    await eventually("the redirect", async () => (await fetch(`${bamboo.http}/cart?item=1`, { headers: { host: "shop.example" }, redirect: "manual" })).status === 301);
    const answer = await fetch(`${bamboo.http}/cart?item=1`, { headers: { host: "shop.example" }, redirect: "manual" });
    // HTTPS listens on the test's port, so the URL names it; on 443 it names none.
    expect(answer.headers.get("location")).toBe(`https://shop.example:${bamboo.httpsPort}/cart?item=1`);
    const secure = await curl("shop.example", "/cart");
    expect(secure.code).toBe(200);
    expect(secure.headers).toMatch(/strict-transport-security: max-age=600/i);
    // Another app keeps serving both.
    const blog = await fetch(`${bamboo.http}/`, { headers: { host: "blog.example" }, redirect: "manual" });
    expect(blog.status).toBe(200);
  });

  test("a setting that is not understood is refused, naming it", async () => {
    const answer = await fetch(`${bamboo.api}/api/services/blog`, { method: "PUT", headers: bamboo.writer, body: JSON.stringify({ Acl: "hdr(host) -i blog.example", Config: { Hsts: "forever" } }) });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toContain("Hsts='forever': expected true, false, or a header value");
  });

  test("an app label turns it on too", async () => {
    await setRule("/shop", "hdr(host) -i shop.example");
    await eventually("the redirect gone", async () => (await fetch(`${bamboo.http}/`, { headers: { host: "shop.example" }, redirect: "manual" })).status === 200);
    await sim.deployApp({ id: "/labelled", instances: 1, labels: { HAPROXY_0_REDIRECT_TO_HTTPS: "true" } });
    const redirected = () => fetch(`${bamboo.http}/labelled/x?y=1`, { headers: { host: "Labelled.example:80" }, redirect: "manual" });
    await eventually("the label's redirect", async () => (await redirected()).status === 301);
    // The port the client named for HTTP is not carried over to HTTPS (and the host comes lower-cased).
    expect((await redirected()).headers.get("location")).toBe(`https://labelled.example:${bamboo.httpsPort}/labelled/x?y=1`);
  });
});
