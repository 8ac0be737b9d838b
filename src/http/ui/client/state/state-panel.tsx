import type { ApplianceStatus, Overview } from "../../api-types.ts";
import { ago, MISSING, text } from "../format.ts";
import { useStatus } from "../use-status.ts";
import { Facts, type Fact } from "./facts.tsx";

/** The appliance's own state: Marathon, the store, HAProxy, and problems with the rules. */
export function StatePanel(props: { overview: Overview | null }) {
  const { status, error } = useStatus(true);
  return (
    <section aria-labelledby="state-title" class="panel">
      <div class="panel-head">
        <h1 id="state-title">Appliance</h1>
        <a class="button" href="/haproxy_stats" target="_blank" rel="noopener">
          HAProxy stats page
        </a>
      </div>
      {error && (
        <p class="field-error" role="alert">
          The state could not be read: {error}
        </p>
      )}
      {status === null && !error && <p class="muted">Reading the appliance state…</p>}
      {status && (
        <>
          <p class={status.ready === false || status.config?.pending ? "banner banner-bad" : "banner banner-good"}>
            {status.ready === false
              ? `Not ready: ${text(status.notReadyReason)}`
              : status.config?.pending
                ? `Ready, but HAProxy still runs an older config: ${status.config.pending.reason}`
                : "Ready: HAProxy serves the current rules."}
            <span class="muted"> Version {text(status.version)}</span>
          </p>
          <div class="cards">
            <Facts title="HAProxy config" facts={configFacts(status)} />
            {status.cluster && <Facts title="Cluster (ZooKeeper)" facts={clusterFacts(status.cluster)} />}
            <Facts title="Marathon" facts={marathonFacts(status)} />
            <Facts title="Rule store" facts={storeFacts(status)} />
            <Facts title="HAProxy" facts={haproxyFacts(status)} />
            <Facts title="HTTPS" facts={httpsFacts(status)} />
          </div>
        </>
      )}
      <RuleProblems overview={props.overview} />
    </section>
  );
}

/** Who watches Marathon for the appliances sharing ZooKeeper, and which published apps this one routes. */
function clusterFacts(cluster: NonNullable<ApplianceStatus["cluster"]>): Fact[] {
  const leading = cluster.role === "leader";
  const marathon = cluster.leaderMarathon;
  return [
    ["This appliance", `${cluster.name}: ${ROLE_WORDS[cluster.role]} since ${ago(cluster.since)}`],
    ["Leader", leading ? "this appliance" : cluster.leader ? `${cluster.leader.name}, since ${ago(cluster.leader.since)}` : "none known yet", !leading && cluster.leader === null ? "bad" : undefined],
    ["Apps version", cluster.version === null ? "none yet" : `${cluster.version}, published ${ago(cluster.publishedAt)}${cluster.readAt ? `, read ${ago(cluster.readAt)}` : ""}`, cluster.version === null ? "bad" : undefined],
    ["Leader's Marathon", marathon === null ? MISSING : marathon.connected ? "reached" : `not reached${marathon.lastError ? `: ${marathon.lastError}` : ""}`, marathon !== null && !marathon.connected ? "bad" : undefined],
    ["ZooKeeper", cluster.connected ? "connected" : "cut off: routing the last apps read", cluster.connected ? "good" : "bad"],
    ["Last error", text(cluster.lastError), cluster.lastError ? "bad" : undefined],
  ];
}

const ROLE_WORDS: Readonly<Record<string, string>> = {
  leader: "leads: watches Marathon and publishes the apps",
  follower: "follows: routes the apps the leader publishes",
  candidate: "joining the election",
};

function marathonFacts(status: ApplianceStatus): Fact[] {
  const m = status.marathon ?? {};
  // A follower does not watch Marathon: the leader does, and its card says how that goes.
  if (status.cluster && status.cluster.role !== "leader") return [["Watched by", status.cluster.leader?.name ?? "the leader, once elected"], ["Requests from here", text(m.sync?.marathonRequests)]];
  return [
    ["Endpoint", text(m.endpoint)],
    ["Leader", text(m.leader)],
    ["Event stream", m.streamConnected === undefined ? MISSING : m.streamConnected ? "attached" : "not attached", m.streamConnected === false ? "bad" : "good"],
    ["Last event", ago(m.lastEventAt)],
    ["Last error", text(m.lastError), m.lastError ? "bad" : undefined],
  ];
}

function storeFacts(status: ApplianceStatus): Fact[] {
  const s = status.store ?? {};
  return [
    ["Kind", text(s.kind)],
    ["Connected", text(s.connected), s.connected === false ? "bad" : undefined],
    ["Last sync", ago(s.lastSync)],
    ["Last error", text(s.lastError), s.lastError ? "bad" : undefined],
  ];
}

function configFacts(status: ApplianceStatus): Fact[] {
  const c = status.config ?? {};
  const pending = c.pending ?? null;
  return [
    ["Running", c.version ? `${c.version}, ${text(c.apps)} apps` : MISSING],
    ["Applied", ago(c.appliedAt)],
    ["Not applied", pending ? `${pending.apps} apps since ${ago(pending.since)}${pending.retrying ? " (retrying)" : ""}: ${pending.reason}` : "nothing", pending ? "bad" : "good"],
    ["Config file", c.fileError ? `behind: ${c.fileError}` : "current", c.fileError ? "bad" : undefined],
  ];
}

function haproxyFacts(status: ApplianceStatus): Fact[] {
  const h = status.haproxy ?? {};
  const pid = h.workerPid ?? h.masterPid;
  return [
    ["Status", text(h.status)],
    ["Version", text(h.version)],
    ["PID", pid === undefined || pid === null ? MISSING : `${h.masterPid ?? MISSING} (master), ${h.workerPid ?? MISSING} (worker)`],
    ["Last reload", h.lastReloadAt ? `${ago(h.lastReloadAt)}${typeof h.lastReloadMs === "number" ? `, took ${h.lastReloadMs} ms` : ""}` : MISSING],
    ["Why", text(h.lastReloadReasons)],
    ["Reloads", text(h.reloads)],
    ["Failed reloads", text(h.failedReloads), typeof h.failedReloads === "number" && h.failedReloads > 0 ? "bad" : undefined],
    ["Runtime operations", text(h.runtimeOperations)],
    ["Last error", text(h.lastError), h.lastError ? "bad" : undefined],
  ];
}

function httpsFacts(status: ApplianceStatus): Fact[] {
  const h = status.https;
  if (!h) return [["HTTPS", MISSING]];
  const expiry = h.defaultCertificate ? new Date(h.defaultCertificate.notAfter) : null;
  return [
    ["HTTPS", h.enabled ? `on, ${text(h.bind)}` : "off: no certificate yet"],
    ["Certificates", `${text(h.certificates)} served (see Certificates)`],
    ["Default certificate", h.defaultCertificate ? `${h.defaultCertificate.source}, until ${expiry && !Number.isNaN(expiry.getTime()) ? expiry.toISOString().slice(0, 10) : MISSING}` : MISSING],
  ];
}

function RuleProblems(props: { overview: Overview | null }) {
  const warnings = props.overview?.warnings ?? [];
  const overlaps = props.overview?.overlaps ?? [];
  return (
    <section class="card" aria-labelledby="problems-title">
      <h2 id="problems-title">Warnings and overlaps</h2>
      {warnings.length === 0 && overlaps.length === 0 && <p class="muted">None: every rule is valid, no two rules match the same requests, and no certificate expires within 14 days.</p>}
      {warnings.length > 0 && (
        <ul class="problems">
          {warnings.map((warning, index) => (
            <li key={`w${index}`}>
              {/* Appliance-wide problems (a certificate expiring, a config not applied) name no app. */}
              {warning.id ? (
                <>
                  <strong>{warning.id}</strong>: {warning.message}
                </>
              ) : (
                warning.message
              )}
            </li>
          ))}
        </ul>
      )}
      {overlaps.length > 0 && (
        <ul class="problems">
          {overlaps.map((overlap, index) => (
            <li key={`o${index}`}>
              <strong>{overlap.id}</strong> overlaps <strong>{overlap.otherId}</strong>: {overlap.detail}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
