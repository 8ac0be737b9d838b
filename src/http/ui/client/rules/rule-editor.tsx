import { useEffect, useState } from "preact/hooks";
import type { Overview } from "../../api-types.ts";
import { useApi } from "../api-context.ts";
import { SignInCancelled } from "../api.ts";
import { Modal } from "../modal.tsx";
import { errorMessage } from "../../../../system/error-message.ts";
import { formKey, refusal, type CheckResult, type Field } from "./check-result.ts";
import { CheckAnswer } from "./check-answer.tsx";
import { configWith, httpsInputsOf } from "./https-config.ts";
import { HttpsFields } from "./https-fields.tsx";
import { useDryRun } from "./use-dry-run.ts";

/** Adding a rule for an app (id may be empty: the user types it), or changing a stored one. */
export type EditTarget = { readonly mode: "add"; readonly id: string } | { readonly mode: "edit"; readonly id: string; readonly acl: string };

/** The service's config as stored: read when the editor opens, so a save keeps every key. */
type StoredConfig = { readonly state: "loading" } | { readonly state: "ready"; readonly config: Readonly<Record<string, string>> } | { readonly state: "failed"; readonly message: string };

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
  const [stored, setStored] = useState<StoredConfig>(existing ? { state: "loading" } : { state: "ready", config: {} });
  // null: the field shows what is stored, until the user changes it.
  const [redirect, setRedirect] = useState<boolean | null>(null);
  const [hsts, setHsts] = useState<string | null>(null);
  useEffect(() => {
    if (!existing) return;
    let current = true;
    api.service(target.id).then(
      (service) => current && setStored({ state: "ready", config: service?.Config ?? {} }),
      (error: unknown) =>
        current && setStored({ state: "failed", message: error instanceof SignInCancelled ? "sign-in was cancelled" : errorMessage(error) }),
    );
    return () => {
      current = false;
    };
  }, [api, existing, target.id]);
  const storedConfig = stored.state === "ready" ? stored.config : null;
  const storedInputs = httpsInputsOf(storedConfig ?? {});
  const inputs = { redirect: redirect ?? storedInputs.redirect, hsts: hsts ?? storedInputs.hsts };
  const config = storedConfig === null ? null : configWith(storedConfig, inputs);
  const unchangedKey = target.mode === "edit" && storedConfig !== null ? formKey(target.id, target.acl, JSON.stringify(configWith(storedConfig, storedInputs))) : null;
  const { result, check } = useDryRun(id, acl, config, existing, unchangedKey);

  const shown = failure ?? result;
  const fieldError = (field: Field) => (shown?.kind === "refused" && shown.field === field ? shown.message : "");
  const accepted = result?.kind === "accepted" && failure === null;

  const submit = async () => {
    setFailure(null);
    if (config === null) return;
    if (!accepted) {
      if (id.trim() === "" || acl.trim() === "") return;
      await check(true);
      return;
    }
    setBusy(true);
    try {
      await api.save({ id: id.trim(), acl: acl.trim(), config }, existing);
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
  const httpsError = fieldError("https");

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
        <HttpsFields
          inputs={inputs}
          disabled={stored.state !== "ready"}
          error={httpsError}
          onRedirect={(value) => {
            setFailure(null);
            setRedirect(value);
          }}
          onHsts={(value) => {
            setFailure(null);
            setHsts(value);
          }}
        />
        {stored.state === "loading" && <p class="muted">Reading the rule's current settings…</p>}
        {stored.state === "failed" && (
          <p class="field-error" role="alert">
            The rule's current settings could not be read ({stored.message}), so it cannot be saved without losing them. Close and try again.
          </p>
        )}
        <CheckAnswer result={shown} onSignIn={() => void check(true)} />
        {formError && (
          <p class="field-error" role="alert">
            {formError}
          </p>
        )}
        <div class="actions">
          {/* Not disabled while a check runs in the background: a click then must not be lost. */}
          <button type="submit" class="primary" disabled={busy || config === null}>
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
