/**
 * Issue 18 item 8: what HTTPS costs, and how soon a certificate is served.
 *
 *   node_modules/.bin/bun scripts/bench/https.ts [--seconds 5] [--samples 3] [--writes 50]
 *
 * One app with one task behind a host rule, served by one dist/bamboo over HTTP and HTTPS (a
 * certificate from a throwaway CA made by openssl). In turn, HTTP then HTTPS, `--samples`
 * times: wrk keep-alive req/s to the app, and req/s with `Connection: close`, where every
 * request over HTTPS is a new TLS handshake. Each figure is the median of its samples: one
 * sample on this VM moves by up to a third. Then `--writes` certificate writes through the
 * API, one at a time, alternating two certificates for the same host: write → served is the
 * time from sending the PUT to the first handshake that presents the new certificate, and
 * reloads are counted over all writes.
 */
import { X509Certificate } from "node:crypto";
import { TestPki } from "../../test/support/certs.ts";
import { MarathonSim } from "../../test/support/marathon-sim.ts";
import { freePort } from "../../test/support/ports.ts";
import { presentedFingerprint } from "../../test/support/tls-probe.ts";
import { arg, fmt, machineLine, percentile, printTable, startBamboo, until, verdict, waitReady, type BenchBamboo } from "./support.ts";
import { startLoad } from "./wrk.ts";

const HOST = "shop.example";
const LOAD = { connections: 20, threads: 1, delayMs: 0 } as const;
const SERVED_TIMEOUT_MS = 5_000;

async function rate(base: string, headers: Record<string, string>, seconds: number): Promise<{ perSecond: number; failed: number }> {
  const load = await startLoad({ ...LOAD, base, paths: ["/"], headers, maxSeconds: seconds + 30 });
  await Bun.sleep(seconds * 1000);
  const result = await load.stop();
  return { perSecond: result.requests / result.seconds, failed: result.failed };
}

const median = (values: readonly number[]) => percentile(values, 50);

async function putCertificate(bamboo: BenchBamboo, pem: string): Promise<Response> {
  return fetch(`${bamboo.api}/api/certificates/shop`, { method: "PUT", headers: { ...bamboo.auth, "content-type": "application/json" }, body: JSON.stringify({ pem }) });
}

const seconds = Number(arg("--seconds", "5"));
const samples = Number(arg("--samples", "3"));
const writes = Number(arg("--writes", "50"));

console.log(`HTTPS benchmark · ${await machineLine()}`);
const pki = new TestPki();
const bundles = ["shop-a", "shop-b"].map((name) => {
  const leaf = pki.leaf(name, [HOST]);
  const pem = `${leaf.certificate}${leaf.chain}${leaf.key}`;
  return { pem, fingerprint: new X509Certificate(leaf.certificate).fingerprint256 };
});
const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
const httpsPort = await freePort();
let bamboo: BenchBamboo | null = null;
try {
  await sim.deployApp({ id: "/shop", instances: 1 });
  bamboo = await startBamboo(sim.url, { HAPROXY_HTTPS_BIND: `127.0.0.1:${httpsPort}` }, [{ id: "/shop", acl: `hdr(host) -i ${HOST}` }]);
  await waitReady(bamboo, 60_000);
  const first = await putCertificate(bamboo, bundles[0]!.pem);
  if (first.status !== 200) throw new Error(`the first certificate was refused: ${await first.text()}`);
  const https = `https://127.0.0.1:${httpsPort}`;
  const ok = async (base: string) => fetch(`${base}/`, { headers: { host: HOST }, tls: { rejectUnauthorized: false } }).then((r) => r.status === 200, () => false);
  if (!(await until(() => ok(https), 30_000)) || !(await until(() => ok(bamboo!.http), 30_000))) throw new Error("the app is not routed over HTTP and HTTPS");

  const figures = { http: [] as number[], https: [] as number[], httpClose: [] as number[], httpsClose: [] as number[] };
  let failed = 0;
  for (let sample = 0; sample < samples; sample++) {
    for (const [key, base, close] of [["http", bamboo.http, false], ["https", https, false], ["httpClose", bamboo.http, true], ["httpsClose", https, true]] as const) {
      const result = await rate(base, { Host: HOST, ...(close ? { Connection: "close" } : {}) }, seconds);
      figures[key].push(result.perSecond);
      failed += result.failed;
    }
  }
  printTable(
    `Requests per second to one app (wrk ${LOAD.connections} connections, median of ${samples} samples of ${seconds} s)`,
    ["connection", "HTTP", "HTTPS", "HTTPS / HTTP"],
    [
      ["keep-alive", fmt(median(figures.http), 0), fmt(median(figures.https), 0), fmt(median(figures.https) / median(figures.http), 2)],
      ["new connection per request (HTTPS: a TLS handshake each)", fmt(median(figures.httpClose), 0), fmt(median(figures.httpsClose), 0), fmt(median(figures.httpsClose) / median(figures.httpClose), 2)],
      ["failed requests, all runs", String(failed), "", verdict(failed === 0)],
    ],
  );

  const reloadsBefore = (await bamboo.status()).haproxy.reloads;
  const latencies: number[] = [];
  let neverServed = 0;
  for (let w = 1; w <= writes; w++) {
    const next = bundles[w % 2]!;
    const started = performance.now();
    const answer = await putCertificate(bamboo, next.pem);
    if (answer.status !== 200) throw new Error(`write ${w} answered ${answer.status}: ${await answer.text()}`);
    if (await until(async () => (await presentedFingerprint(httpsPort, HOST)) === next.fingerprint, SERVED_TIMEOUT_MS, 2)) latencies.push(performance.now() - started);
    else neverServed++;
  }
  const reloads = (await bamboo.status()).haproxy.reloads - reloadsBefore;
  const p99 = percentile(latencies, 99);
  printTable(
    `Certificate writes: ${writes} renewals through the API, one at a time`,
    ["figure", "measured", "target", "verdict"],
    [
      ["write → served p50", `${fmt(percentile(latencies, 50))} ms`, "", ""],
      ["write → served p99", `${fmt(p99)} ms`, "≤ 1000 ms", verdict(p99 <= 1000 && neverServed === 0)],
      [`writes not served within ${SERVED_TIMEOUT_MS / 1000} s`, String(neverServed), "0", verdict(neverServed === 0)],
      ["reloads per write", fmt(writes > 0 ? reloads / writes : NaN, 2), "0", verdict(reloads === 0)],
    ],
  );
} finally {
  await bamboo?.stop();
  await sim.stop();
  pki.cleanup();
}
