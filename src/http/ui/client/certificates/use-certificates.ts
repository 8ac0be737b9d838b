import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { CertificateList } from "../../api-types.ts";
import { SignInCancelled } from "../api.ts";
import { useApi } from "../api-context.ts";
import { errorMessage } from "../../../../system/error-message.ts";

/** Certificates in BAMBOO_CERT_DIR come and go with their files; the list is asked for again this often. */
const POLL_MS = 5000;

export interface CertificatesResult {
  readonly list: CertificateList | null;
  readonly error: string | null;
  /** Asks now, after an upload or a removal, instead of waiting for the next poll. */
  readonly refresh: () => void;
}

/** `GET /api/certificates`, polled while the view is open and the tab visible (as the state panel does). */
export function useCertificates(): CertificatesResult {
  const api = useApi();
  const [result, setResult] = useState<Omit<CertificatesResult, "refresh">>({ list: null, error: null });
  const pollNow = useRef<() => void>(() => undefined);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const poll = async () => {
      clearTimeout(timer);
      if (document.visibilityState === "visible") {
        try {
          const list = await api.certificates(controller.signal);
          if (!controller.signal.aborted) setResult({ list, error: null });
        } catch (error) {
          if (controller.signal.aborted) return;
          const message = error instanceof SignInCancelled ? "sign in (at the top of the page) to see them" : errorMessage(error);
          setResult((current) => ({ list: current.list, error: message }));
        }
      }
      if (!controller.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    pollNow.current = () => void poll();
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api]);

  const refresh = useCallback(() => pollNow.current(), []);
  return { ...result, refresh };
}

/**
 * May the signed-in user change certificates? `null` while unknown (nobody signed in yet:
 * the controls show, and the first write asks for the admin). A viewer's 403, from the
 * probe or from a write, hides the controls and keeps the appliance's message.
 */
export function useWriteAccess(ready: boolean) {
  const api = useApi();
  const [access, setAccess] = useState<{ readonly allowed: boolean | null; readonly message: string }>({ allowed: null, message: "" });
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    // Asked once the list has been read, so the reader's credentials exist by then.
    if (!ready) return;
    const controller = new AbortController();
    api
      .mayWrite(controller.signal)
      .then((answer) => {
        if (answer && !controller.signal.aborted) setAccess({ allowed: answer.allowed, message: answer.message });
      })
      .catch(() => undefined);
    return () => controller.abort();
  }, [api, ready, asked]);
  const refused = useCallback((message: string) => setAccess({ allowed: false, message }), []);
  /** Signs in again (as the admin, say) and asks anew. */
  const signInAgain = useCallback(async () => {
    if (await api.signIn({ title: "Sign in to change certificates", reason: "Uploading and removing certificates needs the admin user and password." })) setAsked((count) => count + 1);
  }, [api]);
  return { ...access, refused, signInAgain };
}
