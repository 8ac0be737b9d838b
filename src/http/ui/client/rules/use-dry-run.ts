import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { useApi } from "../api-context.ts";
import { formKey, refusal, type CheckResult } from "./check-result.ts";

/** Pause after the last keystroke before asking, so typing does not flood the appliance. */
const DEBOUNCE_MS = 350;

/**
 * Dry runs of the form's values: automatically after each change (never prompting for a password),
 * and on demand from the Check button (prompting on 401). Only the newest answer is kept.
 */
export function useDryRun(id: string, acl: string, config: Readonly<Record<string, string>> | null, existing: boolean, unchangedKey: string | null) {
  const api = useApi();
  const [result, setResult] = useState<CheckResult | null>(null);
  const inFlight = useRef<{ readonly controller: AbortController; readonly key: string } | null>(null);
  const answered = useRef<CheckResult | null>(null);

  // null: the stored config is not read yet, and a check without it would not be what is saved.
  const configJson = config === null ? null : JSON.stringify(config);
  const run = useCallback(
    async (askOn401: boolean): Promise<CheckResult | null> => {
      const key = formKey(id, acl, configJson ?? "");
      if (id.trim() === "" || acl.trim() === "" || configJson === null) return null;
      // A check of these very values is under way (perhaps waiting for the sign-in prompt):
      // the automatic check must not abort it, or the user's click would come to nothing.
      if (!askOn401 && inFlight.current?.key === key) return null;
      // Nor ask again about values the appliance has already answered for.
      if (!askOn401 && answered.current?.key === key && answered.current.kind !== "needs-sign-in") return answered.current;
      inFlight.current?.controller.abort();
      const controller = new AbortController();
      const mine = { controller, key };
      inFlight.current = mine;
      setResult({ kind: "checking", key });
      let next: CheckResult;
      try {
        next = { kind: "accepted", key, answer: await api.dryRun({ id: id.trim(), acl: acl.trim(), config: JSON.parse(configJson) as Record<string, string> }, existing, askOn401, controller.signal) };
      } catch (error) {
        if (controller.signal.aborted) return null;
        next = refusal(key, error);
      }
      if (inFlight.current !== mine) return null;
      inFlight.current = null;
      answered.current = next;
      setResult(next);
      return next;
    },
    [id, acl, configJson, existing],
  );

  useEffect(() => {
    setResult(null);
    // The stored rule as it is needs no check until the user changes something.
    if (id.trim() === "" || acl.trim() === "" || configJson === null || formKey(id, acl, configJson) === unchangedKey) return;
    const timer = setTimeout(() => void run(false), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [run]);

  useEffect(() => () => inFlight.current?.controller.abort(), []);

  const fresh = result !== null && result.key === formKey(id, acl, configJson ?? "") ? result : null;
  return { result: fresh, check: run, setResult };
}
