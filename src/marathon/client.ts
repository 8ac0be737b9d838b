/**
 * Marathon's REST API as bamboo reads it: every app with tasks, deployments and readiness in
 * one request, or one app after an event named it. Answers come back normalised.
 */
import type { Logger } from "../system/log.ts";
import { MarathonError } from "./errors.ts";
import { TaskHealthMemory } from "./health-memory.ts";
import { isObject } from "./json-read.ts";
import { appListOf, appOfSingleAnswer, appsOfListAnswer, normaliseApp, type NormalisedApp } from "./normalise.ts";
import type { MarathonTransport } from "./transport.ts";
import type { App, AppList, KnownApps } from "./types.ts";

/** Embeds that give tasks (with health results), running deployments and readiness results in one answer. */
export const APPS_PATH = "/v2/apps?embed=apps.tasks&embed=apps.deployments&embed=apps.readiness";
const APP_EMBEDS = "embed=app.tasks&embed=app.deployments&embed=app.readiness";

export interface MarathonClientDeps {
  /** Clock for readiness decisions, in ms since the epoch. */
  readonly now?: () => number;
  readonly log?: Logger;
}

const NO_KNOWN_APPS: KnownApps = () => undefined;

export class MarathonClient {
  readonly #transport: MarathonTransport;
  readonly #now: () => number;
  readonly #memory = new TaskHealthMemory();
  readonly #log: Logger | undefined;

  /** `transport` is shared with the watcher: an endpoint or leader either learns serves both. */
  constructor(transport: MarathonTransport, deps: MarathonClientDeps = {}) {
    this.#transport = transport;
    this.#now = deps.now ?? Date.now;
    this.#log = deps.log;
  }

  /** The endpoint that answered last (tried first next time). */
  get endpoint(): string {
    return this.#transport.endpoint;
  }

  /** The leader Marathon last named in `X-Marathon-Leader`, or null. */
  get leader(): string | null {
    return this.#transport.leader;
  }

  /**
   * Every app, sorted by id. Throws {@link MarathonError} when no endpoint gives a usable answer
   * (5xx, no leader, timeout, not Marathon): the caller keeps its last known state, since an
   * empty list would remove every route.
   */
  async fetchApps(known: KnownApps = NO_KNOWN_APPS): Promise<AppList> {
    // Apps are normalised as they arrive (answer-body.ts): the clock is read when the first one is in.
    let nowMs: number | null = null;
    // At 10,000 apps, handing back the held object keeps about 8 MB less alive through a full fetch.
    const element = (raw: unknown): NormalisedApp => {
      const one = normaliseApp(raw, (nowMs ??= this.#now()));
      const held = one.app === null ? undefined : known(one.app.id);
      return held !== undefined && Bun.deepEquals(held, one.app, true) ? { app: held, problems: one.problems } : one;
    };
    const answer = await this.#transport.json(APPS_PATH, { split: { key: "apps", element } });
    // The split leaves the list empty in the body: its shape still tells Marathon's answer from another.
    if (appsOfListAnswer(answer.body) === null) throw notMarathon(answer.url, "an 'apps' list");
    const list = appListOf(answer.elements);
    return { ...list, apps: this.#memory.applyAll(list.apps) };
  }

  /**
   * One app, or null when Marathon says it does not exist. Throws {@link MarathonError} on a
   * failed request and when the app cannot be read (the next full fetch reports why).
   */
  async fetchApp(id: string): Promise<App | null> {
    const answer = await this.#transport.json(`/v2/apps${encodeAppId(id)}?${APP_EMBEDS}`, { accept: isMarathonNotFound });
    if (answer.status === 404) {
      this.#memory.applyOne(id, null);
      return null;
    }
    const raw = appOfSingleAnswer(answer.body);
    if (raw === null) throw notMarathon(answer.url, "an 'app' object");
    const { app, problems } = normaliseApp(raw, this.#now());
    for (const problem of problems) this.#log?.warn("marathon app partly unreadable", { ...problem });
    if (app === null) {
      throw new MarathonError(`app ${id} could not be read`, [], problems.map((p) => p.message).join("; "));
    }
    return this.#memory.applyOne(app.id, app);
  }
}

/** Marathon's 404 for a missing app is JSON with a message; any other 404 means a wrong URL. */
function isMarathonNotFound(status: number, body: unknown): boolean {
  return status === 404 && isObject(body) && typeof body.message === "string";
}

/** `/grp/my app` → `/grp/my%20app`: slashes stay path separators, segments are escaped. */
export function encodeAppId(id: string): string {
  return id.split("/").filter((s) => s !== "").map(encodeURIComponent).reduce((path, s) => `${path}/${s}`, "");
}

function notMarathon(url: string, expected: string): MarathonError {
  return new MarathonError(
    `${url} answered JSON without ${expected}`,
    [],
    "MARATHON_ENDPOINT must be Marathon's base URL, e.g. http://marathon.mesos:8080 (without /v2)",
  );
}
