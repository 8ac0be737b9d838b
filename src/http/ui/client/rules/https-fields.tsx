import type { HttpsInputs } from "./https-config.ts";

export interface HttpsFieldsProps {
  readonly inputs: HttpsInputs;
  readonly disabled: boolean;
  /** The appliance's refusal of one of these values, shown next to them. */
  readonly error: string;
  readonly onRedirect: (value: boolean) => void;
  readonly onHsts: (value: string) => void;
}

/** The rule's HTTPS settings (issue 18 item 6), saved in the service's config as `RedirectToHttps` and `Hsts`. */
export function HttpsFields(props: HttpsFieldsProps) {
  const { inputs, error } = props;
  const described = error ? "https-error https-hint" : "https-hint";
  return (
    <fieldset class="https-fields" disabled={props.disabled}>
      <legend>HTTPS for this app</legend>
      <label class="check-label">
        <input
          type="checkbox"
          name="redirect-to-https"
          checked={inputs.redirect}
          aria-describedby={described}
          onChange={(e) => props.onRedirect(e.currentTarget.checked)}
        />
        Redirect HTTP to HTTPS (301)
      </label>
      <label>
        HSTS (Strict-Transport-Security)
        <input
          name="hsts"
          value={inputs.hsts}
          class="mono"
          placeholder="max-age=31536000; includeSubDomains"
          spellcheck={false}
          autocomplete="off"
          aria-invalid={error !== ""}
          aria-describedby={described}
          onInput={(e) => props.onHsts(e.currentTarget.value)}
        />
      </label>
      {error && (
        <p id="https-error" class="field-error" role="alert">
          {error}
        </p>
      )}
      <p id="https-hint" class="hint">
        The redirect keeps the host and path. HSTS is sent on HTTPS answers: <code>true</code> (a year), <code>false</code>, or a value such as <code>max-age=31536000; includeSubDomains</code>. Set here, both win over the app's labels; an empty HSTS leaves it to them.
      </p>
    </fieldset>
  );
}
