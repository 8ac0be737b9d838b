import { useEffect, useState } from "preact/hooks";
import type { ApplianceStatus } from "../api-types.ts";
import { SignInCancelled } from "./api.ts";
import { useApi } from "./api-context.ts";
import { errorMessage } from "../../../system/error-message.ts";

/** How often the appliance state is asked for while its panel is shown. */
const POLL_MS = 3000;

export interface StatusResult {
  readonly status: ApplianceStatus | null;
  readonly error: string | null;
}

/**
 * /api/status, polled while `active` (the panel is open and the tab visible): the state panel
 * is read now and then, so a poll costs less than a second event stream.
 */
export function useStatus(active: boolean): StatusResult {
  const api = useApi();
  const [result, setResult] = useState<StatusResult>({ status: null, error: null });

  useEffect(() => {
    if (!active) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const poll = async () => {
      if (document.visibilityState === "visible") {
        try {
          setResult({ status: await api.status(controller.signal), error: null });
        } catch (error) {
          if (controller.signal.aborted) return;
          const message = error instanceof SignInCancelled ? "sign in (at the top of the page) to see it" : errorMessage(error);
          setResult((current) => ({ status: current.status, error: message }));
        }
      }
      if (!controller.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [active, api]);

  return result;
}
