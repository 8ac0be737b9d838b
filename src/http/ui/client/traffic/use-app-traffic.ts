import { useEffect, useRef, useState } from "preact/hooks";
import type { AppTraffic } from "../../api-types.ts";
import { SignInCancelled } from "../api.ts";
import { useApi } from "../api-context.ts";

export interface AppTrafficRead {
  /** The last answer; kept while the next one is read, so the charts do not blink. */
  readonly answer: AppTraffic | null;
  /** Why the last read failed (a 404 names an unknown app), or null. */
  readonly error: string | null;
}

/**
 * One app's traffic (`GET /api/traffic/apps/<id>`): read when the page opens and again each
 * time `trigger` changes (a new sample arrived on the stream). One request at a time: a
 * trigger during a read asks for one more read after it, however many samples came meanwhile.
 */
export function useAppTraffic(id: string, trigger: number): AppTrafficRead {
  const api = useApi();
  const [read, setRead] = useState<AppTrafficRead>({ answer: null, error: null });
  const reader = useRef<{ readonly request: () => void } | null>(null);
  const lastTrigger = useRef(trigger);

  useEffect(() => {
    const life = new AbortController();
    let inFlight = false;
    let again = false;
    setRead({ answer: null, error: null });
    const request = () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      api
        .appTraffic(id, life.signal)
        .then(
          (answer) => !life.signal.aborted && setRead({ answer, error: null }),
          (error: unknown) => {
            if (life.signal.aborted || error instanceof SignInCancelled) return;
            setRead((last) => ({ answer: last.answer, error: error instanceof Error ? error.message : String(error) }));
          },
        )
        .finally(() => {
          inFlight = false;
          if (again && !life.signal.aborted) {
            again = false;
            request();
          }
        });
    };
    reader.current = { request };
    request();
    return () => {
      life.abort();
      reader.current = null;
    };
  }, [api, id]);

  useEffect(() => {
    // The first run is the page opening, which the read above already covers.
    if (trigger === lastTrigger.current) return;
    lastTrigger.current = trigger;
    reader.current?.request();
  }, [trigger]);

  return read;
}
