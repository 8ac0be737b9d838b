import { useEffect, useState } from "preact/hooks";
import { useApi } from "./api-context.ts";
import type { SignInRequest } from "./api.ts";
import type { Credentials } from "./credentials.ts";
import { Modal } from "./modal.tsx";

interface Pending extends SignInRequest {
  readonly resolve: (credentials: Credentials | null) => void;
}

/**
 * The page's own sign-in prompt, opened by the ApiClient when a call gets 401 (or a viewer's
 * write 403). Cancelling answers null, so a write is dropped; the entered values live in
 * sessionStorage only.
 */
export function CredentialsDialog() {
  const api = useApi();
  const [pending, setPending] = useState<Pending | null>(null);
  const [user, setUser] = useState("admin");
  const [password, setPassword] = useState("");

  useEffect(() => {
    api.setCredentialsPrompt((request) => new Promise((resolve) => setPending({ ...request, resolve })));
  }, [api]);

  if (!pending) return null;
  const finish = (answer: Credentials | null) => {
    pending.resolve(answer);
    setPending(null);
    setPassword("");
  };
  return (
    <Modal title={pending.title} labelId="sign-in-title" onCancel={() => finish(null)}>
      <form
        class="stack"
        onSubmit={(event) => {
          event.preventDefault();
          finish({ user, password });
        }}
      >
        <p class="hint" id="sign-in-reason">
          {pending.reason} They are kept for this browser tab only.
        </p>
        <label>
          User
          <input name="user" autocomplete="username" value={user} onInput={(e) => setUser(e.currentTarget.value)} required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            aria-describedby="sign-in-reason"
            autofocus
          />
        </label>
        <div class="actions">
          <button type="submit" class="primary">
            Sign in
          </button>
          <button type="button" onClick={() => finish(null)}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
