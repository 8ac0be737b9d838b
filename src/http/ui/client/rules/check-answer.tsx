import type { CheckResult } from "./check-result.ts";

/**
 * The dry-run answer in words, above the buttons, announced politely to screen readers.
 * Refusals repeat here in short; their full text sits next to the field they are about.
 */
export function CheckAnswer(props: { result: CheckResult | null; onSignIn: () => void }) {
  const { result } = props;
  return (
    <div class="check" role="status" aria-live="polite" data-check={result?.kind ?? "none"}>
      {result === null && <span class="muted">The appliance checks the rule before it can be saved.</span>}
      {result?.kind === "checking" && <span class="muted">Checking with the appliance…</span>}
      {result?.kind === "accepted" && (
        <div class="answer answer-ok">
          <strong>Accepted.</strong> Nothing is saved yet; press Save rule to store it.
          {result.answer.overlaps.length > 0 && (
            <ul class="overlaps">
              {result.answer.overlaps.map((overlap) => (
                <li key={`${overlap.id}-${overlap.otherId}`}>
                  Overlaps with {overlap.otherId}: {overlap.detail}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {result?.kind === "refused" && result.field !== "form" && (
        <div class="answer answer-bad">
          <strong>{result.conflictsWith.length > 0 ? `Conflicts with ${result.conflictsWith.join(", ")}.` : "Refused."}</strong> See the message by the{" "}
          {result.field === "id" ? "app id" : result.field === "https" ? "HTTPS settings" : "rule"}.
        </div>
      )}
      {result?.kind === "needs-sign-in" && (
        <div class="answer answer-warn">
          Checking needs the admin user and password.{" "}
          <button type="button" class="link" onClick={props.onSignIn}>
            Sign in and check
          </button>
        </div>
      )}
    </div>
  );
}
