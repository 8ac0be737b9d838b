import type { RequestTestAnswer, RequestVerdict } from "../../api-types.ts";

const VERDICTS: Readonly<Record<RequestVerdict, { word: string; tone: string }>> = {
  routed: { word: "Routed", tone: "healthy" },
  "no-rule": { word: "503: no rule matches", tone: "no-rule" },
  "no-healthy-server": { word: "503: no healthy server", tone: "no-healthy-task" },
  "no-tasks": { word: "503: the app has no tasks", tone: "no-healthy-task" },
};

export function TestAnswer(props: { answer: RequestTestAnswer }) {
  const { answer } = props;
  const verdict = VERDICTS[answer.verdict] ?? { word: answer.verdict, tone: "no-rule" };
  return (
    <article class="test-answer" data-verdict={answer.verdict}>
      <h2>
        <span class={`badge status-${verdict.tone}`}>
          <span class="dot" aria-hidden="true" />
          {verdict.word}
        </span>
      </h2>
      <p class="explanation">{answer.explanation}</p>
      {answer.matched && (
        <dl class="facts">
          <dt>Matching rule</dt>
          <dd>
            <code>{answer.matched.acl}</code> of <strong>{answer.matched.appId}</strong>
            {answer.matched.port > 0 && <>, port {answer.matched.port}</>}
          </dd>
          {answer.matched.via && (
            <>
              <dt>Found by</dt>
              <dd class="matched-via">
                {answer.matched.via === "map" ? (
                  <>
                    map lookup: key <code>{answer.matched.key}</code> in <code>{answer.matched.map}</code>
                  </>
                ) : (
                  "testing the rule in the chain"
                )}
              </dd>
            </>
          )}
          <dt>Backend</dt>
          <dd>
            <code>{answer.matched.backend}</code>
          </dd>
          <dt>Servers</dt>
          <dd>
            {answer.servers.length === 0 ? (
              "none"
            ) : (
              <ul class="servers">
                {answer.servers.map((server) => (
                  <li key={server.address}>
                    <code>{server.address}</code>{" "}
                    <span class={`state state-${(server.haproxy ?? "none").toLowerCase()}`}>{server.haproxy ?? "not in HAProxy"}</span>
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </dl>
      )}
      {answer.candidates.length > 0 && (
        <details>
          <summary>Rules checked, in HAProxy's order ({answer.candidates.length})</summary>
          <ol class="candidates">
            {answer.candidates.map((candidate) => (
              <li key={`${candidate.appId} ${candidate.port}`} class={candidate.matches ? "matches" : ""}>
                <span>{candidate.appId}</span>
                {candidate.port > 0 && <span class="muted"> port {candidate.port}</span>} <code>{candidate.acl}</code> <span class="muted">{candidate.matches ? "matches" : "no match"}</span>
              </li>
            ))}
          </ol>
        </details>
      )}
    </article>
  );
}
