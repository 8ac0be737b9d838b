import { useState } from "preact/hooks";
import { useApi } from "../api-context.ts";
import { ApiError, SignInCancelled } from "../api.ts";
import { errorMessage } from "../../../../system/error-message.ts";
import { appliedWords, nameFromFile } from "./certificate-words.ts";

export interface UploadFormProps {
  /** After a stored upload: the words for the page's notice. */
  readonly onUploaded: (message: string) => void;
  /** The appliance refused the user's role (a viewer): the page hides the controls and shows this. */
  readonly onForbidden: (message: string) => void;
}

/**
 * Uploads a certificate bundle (certificate, chain in order, unencrypted key) by name, pasted
 * or picked from a file. The appliance checks the whole bundle before storing anything; its
 * refusal is shown word for word, next to the PEM.
 */
export function UploadForm(props: UploadFormProps) {
  const api = useApi();
  const [name, setName] = useState("");
  const [pem, setPem] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    if (name.trim() === "" || pem.trim() === "") {
      setError(name.trim() === "" ? "Give the certificate a name." : "Paste the PEM bundle or pick a file.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      const answer = await api.uploadCertificate(name.trim(), pem);
      setName("");
      setPem("");
      props.onUploaded(`Uploaded ${answer.certificate.name}. ${appliedWords(answer.applied, "upload")}`);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 403) props.onForbidden(failure.message);
      else if (failure instanceof ApiError) setError(failure.message);
      else if (failure instanceof SignInCancelled) setError("Sign-in was cancelled, so nothing was uploaded.");
      else setError(`The appliance could not be reached: ${errorMessage(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  const pick = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    setError("");
    setPem(await file.text());
    if (name.trim() === "") setName(nameFromFile(file.name));
  };

  return (
    <section class="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a certificate</h2>
      <form
        class="stack"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label>
          Name
          <input
            name="cert-name"
            value={name}
            required
            class="mono"
            placeholder="shop.example.com"
            spellcheck={false}
            autocomplete="off"
            aria-describedby="cert-name-hint"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <p id="cert-name-hint" class="hint">
          Lower-case letters, digits, <code>.</code>, <code>_</code> and <code>-</code>. A name already listed is replaced (a renewal).
        </p>
        <label>
          PEM bundle
          <textarea
            name="pem"
            rows={6}
            class="mono"
            value={pem}
            spellcheck={false}
            placeholder={"-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n…"}
            aria-invalid={error !== ""}
            aria-describedby={error ? "upload-error pem-hint" : "pem-hint"}
            onInput={(e) => setPem(e.currentTarget.value)}
          />
        </label>
        <p id="pem-hint" class="hint">
          The certificate, then its chain in order, then its unencrypted private key. The key is stored on the appliance and never shown again.
        </p>
        <label>
          Or pick a PEM file
          <input name="pem-file" type="file" accept=".pem,.crt,.cer,.key,.txt,application/x-pem-file,text/plain" onChange={(e) => void pick(e.currentTarget)} />
        </label>
        {error && (
          <p id="upload-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Uploading…" : "Upload certificate"}
          </button>
        </div>
      </form>
    </section>
  );
}
