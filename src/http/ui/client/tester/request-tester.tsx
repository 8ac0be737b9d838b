import { useState } from "preact/hooks";
import type { RequestTestAnswer } from "../../api-types.ts";
import { useApi } from "../api-context.ts";
import { ApiError } from "../api.ts";
import { parseHeaders } from "./parse-headers.ts";
import { TestAnswer } from "./test-answer.tsx";

/**
 * "Why this answer?": the user describes a request and the appliance says which rule takes it,
 * which backend and servers would serve it, or why HAProxy would answer 503.
 */
export function RequestTester() {
  const api = useApi();
  const [url, setUrl] = useState("/");
  const [host, setHost] = useState("");
  const [headerText, setHeaderText] = useState("");
  const [headerError, setHeaderError] = useState("");
  const [error, setError] = useState("");
  const [answer, setAnswer] = useState<RequestTestAnswer | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const parsed = parseHeaders(headerText);
    setHeaderError(parsed.ok ? "" : parsed.message);
    if (!parsed.ok) return;
    setBusy(true);
    setError("");
    try {
      const headers = Object.keys(parsed.headers).length > 0 ? parsed.headers : undefined;
      setAnswer(await api.requestTest({ url: url.trim() || "/", host: host.trim(), headers }));
    } catch (failure) {
      setAnswer(null);
      setError(failure instanceof ApiError ? failure.message : `The appliance could not be reached: ${String(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="tester-title" class="panel">
      <div class="panel-head">
        <h1 id="tester-title">Why this answer?</h1>
      </div>
      <p class="muted">Describe a request; the appliance explains how HAProxy would route it right now. Nothing is sent to your apps.</p>
      <form
        class="stack tester-form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div class="row">
          <label class="grow">
            URL
            <input name="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="/shop/cart?id=1 or http://shop.example.com/cart" spellcheck={false} class="mono" />
          </label>
          <label class="grow">
            Host
            <input name="host" value={host} onInput={(e) => setHost(e.currentTarget.value)} placeholder="shop.example.com" spellcheck={false} class="mono" />
          </label>
        </div>
        <label>
          Other headers (optional, one "Name: value" a line)
          <textarea
            name="headers"
            rows={3}
            value={headerText}
            onInput={(e) => setHeaderText(e.currentTarget.value)}
            spellcheck={false}
            class="mono"
            aria-invalid={headerError !== ""}
            aria-describedby={headerError ? "headers-error" : undefined}
          />
        </label>
        {headerError && (
          <p id="headers-error" class="field-error" role="alert">
            {headerError}
          </p>
        )}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Asking…" : "Explain"}
          </button>
        </div>
      </form>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <div aria-live="polite">{answer && <TestAnswer answer={answer} />}</div>
    </section>
  );
}
