import { useEffect, useMemo, useState } from "preact/hooks";
import type { AppPortsAnswer, Overview } from "../../api-types.ts";
import { ApiError, SignInCancelled } from "../api.ts";
import { useApi } from "../api-context.ts";

export interface AppPortsRead {
  /** The last answer; kept while the next one is read, so the table does not blink. */
  readonly answer: AppPortsAnswer | null;
  /** Why the last read failed (a 404 says HAProxy runs no such app), or null. */
  readonly error: string | null;
}

/**
 * One app's service ports (`GET /api/apps/<id>/ports`): read when the page opens and again
 * when the overview says the app's config changed, so the stream need not carry every app's
 * ports. A change in the ports makes a new row for the app (a new template app on the server,
 * overview.ts) or changes its problems (a port another app took, or freed). A newer read
 * cancels the one under way, so the answer shown is the newest.
 */
export function useAppPorts(id: string, overview: Overview | null): AppPortsRead {
  const api = useApi();
  const [read, setRead] = useState<AppPortsRead>({ answer: null, error: null });
  const row = useMemo(() => overview?.apps.find((app) => app.id === id) ?? null, [overview, id]);
  const problems = useMemo(
    () =>
      (overview?.warnings ?? [])
        .filter((warning) => warning.id === id)
        .map((warning) => warning.message)
        .join("\n"),
    [overview, id],
  );

  // Another app's page starts empty rather than with this one's ports.
  useEffect(() => setRead({ answer: null, error: null }), [id]);

  useEffect(() => {
    const life = new AbortController();
    api.appPorts(id, life.signal).then(
      (answer) => !life.signal.aborted && setRead({ answer, error: null }),
      (error: unknown) => {
        if (life.signal.aborted || error instanceof SignInCancelled) return;
        // HAProxy runs the app no more: its last ports would be wrong, not merely old.
        const gone = error instanceof ApiError && error.status === 404;
        setRead((last) => ({ answer: gone ? null : last.answer, error: error instanceof Error ? error.message : String(error) }));
      },
    );
    return () => life.abort();
  }, [api, id, row, problems]);

  return read;
}
