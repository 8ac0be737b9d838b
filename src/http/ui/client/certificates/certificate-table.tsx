import { useEffect, useRef, useState } from "preact/hooks";
import type { CertificateSummary } from "../../api-types.ts";
import { text } from "../format.ts";
import { EXPIRY_WORDS, expiryOf, type Expiry } from "./certificate-words.ts";

export interface CertificateTableProps {
  readonly certificates: readonly CertificateSummary[];
  /** Removal is offered only when the user may write (an uploaded certificate; files are removed where they are). */
  readonly mayRemove: boolean;
  readonly busy: string | null;
  readonly onRemove: (name: string) => void;
}

/** The certificates HTTPS knows, one row each; on a phone each row is a card. */
export function CertificateTable(props: CertificateTableProps) {
  const [confirming, setConfirming] = useState<string | null>(null);
  if (props.certificates.length === 0) {
    return <p class="empty">No certificates yet. Upload one below, or put PEM files in BAMBOO_CERT_DIR.</p>;
  }
  return (
    <table class="data-table certs">
      <caption class="visually-hidden">Certificates, with their hosts, issuer and expiry</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Source</th>
          <th scope="col">Hosts</th>
          <th scope="col">Issuer</th>
          <th scope="col">Expires</th>
          <th scope="col">Served</th>
          <th scope="col">Apps</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.certificates.map((certificate) => {
          const expiry = expiryOf(certificate);
          const key = `${certificate.source}/${certificate.name}`;
          return (
            <tr key={key} class={`cert expiry-${expiry.state}`} data-cert-name={certificate.name} data-source={certificate.source}>
              <th scope="row" class="c-name">
                {certificate.name}
              </th>
              <td class="c-source" data-label="Source">
                {certificate.source === "api" ? "uploaded" : <span title="A file in BAMBOO_CERT_DIR">directory</span>}
              </td>
              <td class="c-hosts" data-label="Hosts">
                <HostList hosts={certificate.hosts} />
              </td>
              <td class="c-issuer" data-label="Issuer">
                {text(certificate.issuer)}
              </td>
              <td class="c-expiry" data-label="Expires">
                <ExpiryMark expiry={expiry} notAfter={certificate.notAfter} />
              </td>
              <td class="c-served" data-label="Served">
                <span class={`state ${certificate.served ? "state-up" : "state-down"}`}>{certificate.served ? "served" : "not served"}</span>
              </td>
              <td class="c-apps" data-label="Apps">
                {certificate.apps.length === 0 ? <span class="muted">none</span> : certificate.apps.join(", ")}
              </td>
              <td class="c-actions">
                {certificate.source === "dir" ? (
                  <span class="muted">From BAMBOO_CERT_DIR: remove its file there</span>
                ) : props.mayRemove && confirming !== certificate.name ? (
                  <button type="button" class="danger" aria-label={`Remove certificate ${certificate.name}`} disabled={props.busy !== null} onClick={() => setConfirming(certificate.name)}>
                    Remove
                  </button>
                ) : null}
                {certificate.source === "api" && props.mayRemove && confirming === certificate.name && (
                  <ConfirmRemove
                    certificate={certificate}
                    busy={props.busy !== null}
                    onCancel={() => setConfirming(null)}
                    onConfirm={() => {
                      setConfirming(null);
                      props.onRemove(certificate.name);
                    }}
                  />
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Asks before removing; focus moves to the safe answer, so the keyboard lands where the Remove button was. */
function ConfirmRemove(props: { certificate: CertificateSummary; busy: boolean; onCancel: () => void; onConfirm: () => void }) {
  const { certificate } = props;
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => keep.current?.focus(), []);
  return (
    <div class="confirm" role="group" aria-label={`Confirm removing ${certificate.name}`}>
      <p>
        Remove {certificate.name}? HTTPS stops serving it{certificate.hosts.length > 0 ? ` for ${certificate.hosts.join(", ")}` : ""}; those hosts get the default certificate.
      </p>
      <div class="actions">
        <button type="button" class="danger" disabled={props.busy} onClick={props.onConfirm}>
          Yes, remove
        </button>
        <button type="button" ref={keep} onClick={props.onCancel}>
          Keep it
        </button>
      </div>
    </div>
  );
}

/** The expiry date with a marker word (and colour) when it has expired or expires within 14 days. */
export function ExpiryMark(props: { expiry: Expiry; notAfter: string }) {
  const { expiry } = props;
  return (
    <span class="expiry">
      <time dateTime={props.notAfter} title={props.notAfter}>
        {expiry.date}
      </time>{" "}
      <span class={`badge expiry-badge expiry-${expiry.state}`} data-expiry={expiry.state}>
        {expiry.state !== "valid" && <span class="dot" aria-hidden="true" />}
        {expiry.state === "valid" ? expiry.words : `${EXPIRY_WORDS[expiry.state]}: ${expiry.words}`}
      </span>
    </span>
  );
}

function HostList(props: { hosts: readonly string[] }) {
  if (props.hosts.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="hosts">
      {props.hosts.map((host) => (
        <li key={host}>
          <code>{host}</code>
        </li>
      ))}
    </ul>
  );
}
