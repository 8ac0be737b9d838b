import { memoByText } from "../routing/acl/index.ts";
import { namesHost, ruleHosts } from "../routing/rule-hosts.ts";
import type { CertificateStore } from "../store/certificates.ts";
import { inspectCertificate, MAX_PEM_BYTES, type CertificateInfo, type NamedCertificate } from "../tls/certificate.ts";
import { certificateNameProblem } from "../tls/certificate-name.ts";
import { HttpError, jsonResponse } from "./errors.ts";
import { guardStore } from "./store-errors.ts";
import { readJsonBody, readTextBody } from "./request-body.ts";
import type { Router } from "./router.ts";
import { APPLIED_HEADER } from "./services-api.ts";
import { EXPIRY_WARNING_DAYS, type LoopReadings } from "./views.ts";
import type { AppliedBy } from "./write-applied.ts";

export interface CertificatesApiDeps {
  readonly store: Pick<CertificateStore, "get" | "put" | "delete">;
  readonly readings: () => LoopReadings;
  /** Resolves once HAProxy runs what `done` asks for, saying how; bounded. */
  readonly applied: (done: (applied: LoopReadings["applied"]) => boolean) => Promise<AppliedBy>;
  readonly now?: () => Date;
}

/** A PEM body in JSON grows by its escaped newlines; the certificate's own limit is checked after. */
const MAX_CERTIFICATE_BODY_BYTES = MAX_PEM_BYTES + 64 * 1024;

/** The raw body's declared type for `PUT` without JSON. */
export const PEM_CONTENT_TYPE = "application/x-pem-file";

/**
 * `/api/certificates` (issue 18): upload, list and remove the certificates HTTPS serves.
 * An upload is checked whole before anything is stored (a bad one changes nothing); the
 * answer comes once HAProxy serves it, saying how (`X-Bamboo-Applied`). Private keys go in
 * and never come out: the API shows names, hosts, issuer and dates only.
 */
export function mountCertificatesApi(router: Router, deps: CertificatesApiDeps): void {
  const now = deps.now ?? (() => new Date());
  const hostsOf = memoByText(ruleHosts);

  router.on("GET", "/api/certificates", () => {
    const readings = deps.readings();
    const served = readings.applied.snapshot.certificates;
    const apps = readings.applied.data.Apps.map((app) => ({ id: app.Id, hosts: hostsOf(app.Acl) }));
    const summary = (certificate: NamedCertificate) => ({
      ...describe(certificate.info, now()),
      name: certificate.name,
      source: certificate.source,
      served: served.some((running) => sameCertificate(running, certificate)),
      apps: apps.filter((app) => app.hosts.some((host) => namesHost(certificate.info.hosts, host))).map((app) => app.id),
    });
    const { known } = readings.tls;
    return jsonResponse({
      https: { enabled: served.length > 0, bind: readings.tls.httpsBind },
      certificates: known.certificates.map(summary),
      problems: known.problems,
      default: { ...describe(readings.tls.default.info, now()), source: readings.tls.default.source, file: readings.tls.default.file },
    });
  });

  router.on("GET", "/api/certificates/*", (_request, { rest }) => {
    const name = nameOf(rest);
    const certificate = deps.readings().tls.known.certificates.find((known) => known.source === "api" && known.name === name);
    if (!certificate) throw new HttpError(404, `no uploaded certificate named ${name}`);
    return jsonResponse({ ...describe(certificate.info, now()), name, source: "api" });
  });

  router.on("PUT", "/api/certificates/*", async (request, { rest }) => {
    const name = nameOf(rest);
    const verdict = inspectCertificate(await pemOf(request), now());
    if (!verdict.ok) throw new HttpError(400, `certificate ${name}: ${verdict.message}`);
    const info = verdict.certificate;
    if (new URL(request.url).searchParams.get("dryRun") === "true") return jsonResponse({ ...describe(info, now()), name, source: "api", dryRun: true });
    await guardStore(() => deps.store.put({ name, pem: info.pem }), "certificates", 400);
    const by = await deps.applied((applied) => applied.snapshot.certificates.some((running) => running.source === "api" && running.name === name && running.info.fingerprint === info.fingerprint));
    return jsonResponse({ ...describe(info, now()), name, source: "api" }, 200, { [APPLIED_HEADER]: by });
  });

  router.on("DELETE", "/api/certificates/*", async (_request, { rest }) => {
    const name = nameOf(rest);
    if (!deps.store.get(name)) {
      const fromDir = deps.readings().tls.known.certificates.find((known) => known.source === "dir" && known.name === name);
      throw new HttpError(404, fromDir ? `${name} comes from BAMBOO_CERT_DIR, not the API: remove its file there` : `no uploaded certificate named ${name}`);
    }
    await guardStore(() => deps.store.delete(name), "certificates", 400);
    const by = await deps.applied((applied) => !applied.snapshot.certificates.some((running) => running.source === "api" && running.name === name));
    return jsonResponse({ deleted: name }, 200, { [APPLIED_HEADER]: by });
  });
}

/** What the API shows of a certificate: never its key. */
function describe(info: CertificateInfo, now: Date) {
  const days = (info.notAfter.getTime() - now.getTime()) / 86_400_000;
  return {
    hosts: info.hosts,
    subject: info.subject,
    issuer: info.issuer,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    fingerprint: info.fingerprint,
    expired: days < 0,
    expiresSoon: days >= 0 && days < EXPIRY_WARNING_DAYS,
  };
}

function sameCertificate(a: NamedCertificate, b: NamedCertificate): boolean {
  return a.source === b.source && a.name === b.name && a.info.fingerprint === b.info.fingerprint;
}

function nameOf(rest: string): string {
  // The router decoded it already.
  const name = rest.replace(/^\/+/, "");
  const problem = certificateNameProblem(name);
  if (problem !== null) throw new HttpError(400, `certificate name: ${problem}`);
  return name;
}

/** The PEM of an upload: `{"pem": "..."}` as JSON, or the raw bundle as application/x-pem-file. */
async function pemOf(request: Request): Promise<string> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === PEM_CONTENT_TYPE) return readTextBody(request, MAX_CERTIFICATE_BODY_BYTES);
  const body = await readJsonBody(request, undefined, MAX_CERTIFICATE_BODY_BYTES);
  const pem = typeof body === "object" && body !== null ? (body as { pem?: unknown }).pem : undefined;
  if (typeof pem !== "string") throw new HttpError(400, `send {"pem": "<certificate, chain and key>"} as JSON, or the PEM itself as ${PEM_CONTENT_TYPE}`);
  return pem;
}
