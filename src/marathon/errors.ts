/**
 * The one error type of the Marathon boundary. Bamboo answered a wrong URL with a cryptic JSON
 * parse error (issue #131); this one names every URL tried, what each answered, and what to do.
 */

/** One request to one endpoint and how it ended. */
export interface MarathonAttempt {
  readonly url: string;
  /** HTTP status, or null when no answer came (refused, reset, timed out). */
  readonly status: number | null;
  readonly detail: string;
}

export class MarathonError extends Error {
  /** Status of the last attempt, or null when it got no answer. */
  readonly status: number | null;
  /** URL of the last attempt. */
  readonly url: string;

  constructor(
    summary: string,
    readonly attempts: readonly MarathonAttempt[],
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    const tried = attempts.map((a) => `${a.url}: ${a.detail}`).join("; ");
    super(`${summary}${tried === "" ? "" : ` (${tried})`}${hint === "" ? "" : `. ${hint}`}`, options);
    this.name = "MarathonError";
    const last = attempts.at(-1);
    this.status = last?.status ?? null;
    this.url = last?.url ?? "";
  }
}

/** What a user can do about a set of failed attempts, from the kinds of failure seen. */
export function hintFor(attempts: readonly MarathonAttempt[]): string {
  const hints = new Set<string>();
  for (const a of attempts) {
    if (a.status === null && a.detail.startsWith("timed out")) {
      hints.add("Marathon did not answer in time: check the network or raise MARATHON_REQUEST_TIMEOUT");
    } else if (a.status === null) {
      hints.add("check that MARATHON_ENDPOINT lists running Marathon instances reachable from here");
    } else if (a.status >= 500) {
      hints.add("Marathon has no leader or is failing; the last known state is kept and the request is retried");
    } else if (a.status === 401 || a.status === 403) {
      hints.add("Marathon refused the credentials: check MARATHON_USER/MARATHON_PASSWORD or MARATHON_AUTH_TOKEN");
    } else {
      hints.add("MARATHON_ENDPOINT must be Marathon's base URL, e.g. http://marathon.mesos:8080 (without /v2)");
    }
  }
  return [...hints].join("; ");
}
