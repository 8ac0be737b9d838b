import { useState } from "preact/hooks";
import type { Overview } from "../../api-types.ts";
import { useApi } from "../api-context.ts";
import { Modal } from "../modal.tsx";
import { formKey, refusal, type CheckResult } from "./check-result.ts";
import { CheckAnswer } from "./check-answer.tsx";
import { useDryRun } from "./use-dry-run.ts";

/** Adding a rule for an app (id may be empty: the user types it), or changing a stored one. */
export type EditTarget = { readonly mode: "add"; readonly id: string } | { readonly mode: "edit"; readonly id: string; readonly acl: string };

/**
 * The rule editor. The appliance's dry-run answer is shown before anything is saved: the main
 * button reads "Check rule" until the current values were accepted, then "Save rule".
 * Closing, Escape or cancelling the sign-in prompt write nothing.
 */
export function RuleEditor(props: { target: EditTarget; overview: Overview | null; onClose: (message?: string) => void }) {
  const api = useApi();
  const { target, onClose } = props;
  const existing = target.mode === "edit";
  const [id, setId] = useState(target.id);
  const [acl, setAcl] = useState(target.mode === "edit" ? target.acl : "");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<CheckResult | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const { result, check } = useDryRun(id, acl, existing, target.mode === "edit" ? formKey(target.id, target.acl) : null);

  const shown = failure ?? result;
  const fieldError = (field: "id" | "acl" | "form") => (shown?.kind === "refused" && shown.field === field ? shown.message : "");
  const accepted = result?.kind === "accepted" && failure === null;

  const submit = async () => {
    setFailure(null);
    if (!accepted) {
      if (id.trim() === "" || acl.trim() === "") return;
      await check(true);
      return;
    }
    setBusy(true);
    try {
      await api.save({ id: id.trim(), acl: acl.trim() }, existing);
      onClose(`Saved the rule for ${id.trim()}. HAProxy routes it within a second.`);
    } catch (error) {
      setFailure(refusal(result.key, error));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await api.remove(target.id);
      onClose(`Deleted the rule for ${target.id}; the app now uses the default path rule.`);
    } catch (error) {
      setFailure(refusal("", error));
      setConfirmDelete(false);
    } finally {
      setBusy(false);
    }
  };

  const appIds = props.overview?.apps.filter((app) => app.rule.source === "default").map((app) => app.id) ?? [];
  const idError = fieldError("id");
  const aclError = fieldError("acl");
  const formError = fieldError("form");

  return (
    <Modal title={existing ? `Rule for ${target.id}` : "Add a rule"} labelId="rule-title" onCancel={() => onClose()}>
      <form
        class="stack rule-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label>
          App id
          <input
            name="id"
            value={id}
            readOnly={existing}
            list="app-ids"
            required
            placeholder="/group/app"
            spellcheck={false}
            autocomplete="off"
            aria-invalid={idError !== ""}
            aria-describedby={idError ? "id-error" : undefined}
            onInput={(e) => {
              setFailure(null);
              setId(e.currentTarget.value);
            }}
            autofocus={!existing && target.id === ""}
          />
        </label>
        {!existing && (
          <datalist id="app-ids">
            {appIds.slice(0, 500).map((appId) => (
              <option key={appId} value={appId} />
            ))}
          </datalist>
        )}
        {idError && (
          <p id="id-error" class="field-error" role="alert">
            {idError}
          </p>
        )}
        <label>
          Rule (HAProxy ACL)
          <input
            name="acl"
            value={acl}
            required
            class="mono"
            placeholder="hdr(host) -i shop.example.com"
            spellcheck={false}
            autocomplete="off"
            aria-invalid={aclError !== ""}
            aria-describedby={aclError ? "acl-error acl-hint" : "acl-hint"}
            onInput={(e) => {
              setFailure(null);
              setAcl(e.currentTarget.value);
            }}
            autofocus={existing || target.id !== ""}
          />
        </label>
        {aclError && (
          <p id="acl-error" class="field-error" role="alert">
            {aclError}
          </p>
        )}
        <p id="acl-hint" class="hint">
          For example <code>hdr(host) -i shop.example.com</code> or <code>path_beg -i /shop</code>.
        </p>
        <CheckAnswer result={shown} onSignIn={() => void check(true)} />
        {formError && (
          <p class="field-error" role="alert">
            {formError}
          </p>
        )}
        <div class="actions">
          {/* Not disabled while a check runs in the background: a click then must not be lost. */}
          <button type="submit" class="primary" disabled={busy}>
            {accepted ? "Save rule" : "Check rule"}
          </button>
          <button type="button" onClick={() => onClose()}>
            Cancel
          </button>
          {existing && !confirmDelete && (
            <button type="button" class="danger push" onClick={() => setConfirmDelete(true)} disabled={busy}>
              Delete rule
            </button>
          )}
        </div>
        {confirmDelete && (
          <div class="confirm" role="group" aria-label="Confirm delete">
            <p>Delete the rule for {target.id}? The app falls back to the default path rule.</p>
            <div class="actions">
              <button type="button" class="danger" onClick={() => void remove()} disabled={busy}>
                Yes, delete
              </button>
              <button type="button" onClick={() => setConfirmDelete(false)}>
                Keep it
              </button>
            </div>
          </div>
        )}
      </form>
    </Modal>
  );
}
