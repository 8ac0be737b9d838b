import { useState } from "preact/hooks";
import type { CertificateList } from "../../api-types.ts";
import { useApi } from "../api-context.ts";
import { ApiError, SignInCancelled } from "../api.ts";
import { plural, text } from "../format.ts";
import { Facts } from "../state/facts.tsx";
import { errorMessage } from "../../../../system/error-message.ts";
import { CertificateTable, ExpiryMark } from "./certificate-table.tsx";
import { appliedWords, expiryOf } from "./certificate-words.ts";
import { UploadForm } from "./upload-form.tsx";
import { useCertificates, useWriteAccess } from "./use-certificates.ts";

/**
 * The certificates view (issue 18): what HTTPS serves, by name, with hosts, issuer and
 * expiry; the default certificate; certificates that cannot be served. The admin uploads and
 * removes certificates here; a viewer sees the list only.
 */
export function CertificatesPanel(props: { onNotice: (message: string) => void }) {
  const api = useApi();
  const { list, error, refresh } = useCertificates();
  const access = useWriteAccess(list !== null);
  const [busy, setBusy] = useState<string | null>(null);
  const [removeError, setRemoveError] = useState("");
  const mayWrite = access.allowed !== false;

  const remove = async (name: string) => {
    setBusy(name);
    setRemoveError("");
    try {
      const applied = await api.removeCertificate(name);
      props.onNotice(`Removed ${name}. ${appliedWords(applied, "removal")}`);
      refresh();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 403) access.refused(failure.message);
      else if (failure instanceof SignInCancelled) setRemoveError("Sign-in was cancelled, so nothing was removed.");
      else setRemoveError(failure instanceof ApiError ? failure.message : `The appliance could not be reached: ${errorMessage(failure)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section aria-labelledby="certs-title" class="panel">
      <div class="panel-head">
        <h1 id="certs-title">Certificates</h1>
      </div>
      {error && (
        <p class="field-error" role="alert">
          The certificates could not be read: {error}
        </p>
      )}
      {list === null && !error && <p class="muted">Reading the certificates…</p>}
      {list && (
        <>
          <ExpiryBanner list={list} />
          <div class="cards">
            <Facts
              title="HTTPS"
              facts={[
                ["State", list.https?.enabled ? "on" : "off: no certificate is served yet", list.https?.enabled ? "good" : undefined],
                ["Bind", text(list.https?.bind)],
                ["Certificates", plural(list.certificates.length, "certificate")],
              ]}
            />
            <DefaultCertificate list={list} />
          </div>
          <CertificateTable certificates={list.certificates} mayRemove={mayWrite} busy={busy} onRemove={(name) => void remove(name)} />
          {removeError && (
            <p class="field-error" role="alert">
              {removeError}
            </p>
          )}
          <Problems list={list} />
        </>
      )}
      {access.allowed === false ? (
        <p class="banner banner-warn" role="status">
          {capitalise(access.message)}{" "}
          <button type="button" class="link" onClick={() => void access.signInAgain()}>
            Sign in as the admin
          </button>
        </p>
      ) : (
        list && (
          <UploadForm
            onUploaded={(message) => {
              props.onNotice(message);
              refresh();
            }}
            onForbidden={access.refused}
          />
        )
      )}
    </section>
  );
}

/** Expired and soon-expiring certificates, said once at the top, in words and colour. */
function ExpiryBanner(props: { list: CertificateList }) {
  const all = [...props.list.certificates.map((certificate) => ({ label: certificate.name, certificate })), { label: "the default certificate", certificate: props.list.default }];
  const expired = all.filter((entry) => entry.certificate.expired);
  const soon = all.filter((entry) => entry.certificate.expiresSoon);
  if (expired.length === 0 && soon.length === 0) return null;
  const names = (entries: typeof all) => entries.map((entry) => `${entry.label} (${expiryOf(entry.certificate).date})`).join(", ");
  return (
    <div class={`banner ${expired.length > 0 ? "banner-bad" : "banner-warn"}`} role="alert" data-testid="expiry-banner">
      {expired.length > 0 && <p>Expired, clients get a certificate error: {names(expired)}. Replace them.</p>}
      {soon.length > 0 && <p>Expiring within 14 days: {names(soon)}. Renew them.</p>}
    </div>
  );
}

function DefaultCertificate(props: { list: CertificateList }) {
  const certificate = props.list.default;
  if (!certificate) return null;
  return (
    <section class="card" aria-labelledby="default-cert-title">
      <h2 id="default-cert-title">Default certificate</h2>
      <p class="card-note muted">Served to clients asking for a host no certificate names.</p>
      <dl class="facts">
        <div class="fact">
          <dt>Source</dt>
          <dd>{certificate.source === "generated" ? "generated (self-signed)" : "configured (BAMBOO_DEFAULT_CERT)"}</dd>
        </div>
        <div class="fact">
          <dt>File</dt>
          <dd>
            <code>{text(certificate.file)}</code>
          </dd>
        </div>
        <div class="fact">
          <dt>Hosts</dt>
          <dd>{text(certificate.hosts)}</dd>
        </div>
        <div class="fact">
          <dt>Issuer</dt>
          <dd>{text(certificate.issuer)}</dd>
        </div>
        <div class="fact">
          <dt>Expires</dt>
          <dd>
            <ExpiryMark expiry={expiryOf(certificate)} notAfter={certificate.notAfter} />
          </dd>
        </div>
      </dl>
    </section>
  );
}

function Problems(props: { list: CertificateList }) {
  const problems = props.list.problems ?? [];
  return (
    <section class="card cert-problems" aria-labelledby="cert-problems-title">
      <h2 id="cert-problems-title">Certificates that cannot be served</h2>
      {problems.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul class="problems">
          {problems.map((problem, index) => (
            <li key={index}>
              <strong>
                {problem.source === "dir" ? "file" : "uploaded"} {problem.name}
              </strong>
              : {problem.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function capitalise(message: string): string {
  const trimmed = message.trim();
  const sentence = trimmed.endsWith(".") ? trimmed : `${trimmed}.`;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}
