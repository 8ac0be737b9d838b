/**
 * Marathon JSON → {@link App}/{@link Task}. Pure: the clock is a parameter, nothing throws
 * for a whole list, and one unreadable app is reported and left out so it cannot stop the
 * others from being routed (a pain marathon-lb users reported).
 */
import { healthOf, readinessCheckPathOf, readinessContextOf, readyOf, type ReadinessContext } from "./health.ts";
import {
  absoluteId,
  isObject,
  optArray,
  optNumber,
  optString,
  ShapeError,
  stringMap,
  type JsonObject,
} from "./json-read.ts";
import { portLayoutOf, taskAddressOf, type PortLayout } from "./networking.ts";
import type { App, AppList, HealthCheck, NormaliseProblem, Task } from "./types.ts";
import { NONE } from "../system/none.ts";

/**
 * The apps array of a `GET /v2/apps` answer (`{"apps": [...]}`), or null when the body is not
 * one; the caller decides how to report that (it usually means the URL is not Marathon's).
 */
export function appsOfListAnswer(body: unknown): readonly unknown[] | null {
  return isObject(body) && Array.isArray(body.apps) ? body.apps : null;
}

/** The app of a `GET /v2/apps/<id>` answer (`{"app": {...}}`), or null when the body is not one. */
export function appOfSingleAnswer(body: unknown): unknown | null {
  return isObject(body) && isObject(body.app) ? body.app : null;
}

/** Normalises a `GET /v2/apps` answer; a body that is not an app list becomes one problem. */
export function normaliseAppList(body: unknown, nowMs: number): AppList {
  const apps = appsOfListAnswer(body);
  if (apps === null) return { apps: [], problems: [{ appId: "", message: "answer has no 'apps' array" }], unreadable: [""] };
  return normaliseApps(apps, nowMs);
}

/** Normalises raw app objects (with or without embedded tasks), sorted by id; duplicates are reported. */
export function normaliseApps(rawApps: readonly unknown[], nowMs: number): AppList {
  return appListOf(rawApps.map((raw) => normaliseApp(raw, nowMs)));
}

/** Apps normalised one by one, in Marathon's order, as a list sorted by id; duplicates are reported. */
export function appListOf(normalised: readonly NormalisedApp[]): AppList {
  const problems: NormaliseProblem[] = [];
  const byId = new Map<string, App>();
  const unreadable: string[] = [];
  for (const one of normalised) {
    problems.push(...one.problems);
    if (one.app === null) {
      unreadable.push(one.problems[0]?.appId ?? "");
      continue;
    }
    if (byId.has(one.app.id)) {
      problems.push({ appId: one.app.id, message: "Marathon listed this app id twice; the first entry is used" });
      continue;
    }
    byId.set(one.app.id, one.app);
  }
  const apps = [...byId.values()].sort((a, b) => compare(a.id, b.id));
  return { apps, problems, unreadable };
}

/** One app and what went wrong reading it; `app` is null when the app itself was unreadable. */
export interface NormalisedApp {
  readonly app: App | null;
  readonly problems: readonly NormaliseProblem[];
}

/**
 * Normalises one app object. An unreadable task is left out with a problem while the rest of
 * the app is kept, because dropping every task of an app for one odd task would cut traffic.
 */
export function normaliseApp(raw: unknown, nowMs: number): NormalisedApp {
  if (!isObject(raw)) return { app: null, problems: [{ appId: "", message: "app entry is not a JSON object" }] };
  const rawId = raw.id;
  if (typeof rawId !== "string" || rawId.replace(/\//g, "") === "") {
    return { app: null, problems: [{ appId: "", message: `app has no usable id (${JSON.stringify(rawId ?? null)})` }] };
  }
  // Marathon allows none of these; one that reached the config could add lines to it.
  if (/[\s\x00-\x1f\x7f]/.test(rawId)) {
    return { app: null, problems: [{ appId: "", message: `app id ${JSON.stringify(rawId)} contains whitespace or control characters` }] };
  }
  const id = absoluteId(rawId);
  try {
    return readApp(raw, id, nowMs);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    return { app: null, problems: [{ appId: id, message: error.message }] };
  }
}

function readApp(raw: JsonObject, id: string, nowMs: number): NormalisedApp {
  const layout = portLayoutOf(raw);
  const declaredChecks = optArray(raw, "healthChecks", "app");
  // Most apps have none: one shared empty list instead of one each.
  const healthChecks = declaredChecks.length === 0 ? NONE : declaredChecks.map((hc, i) => readHealthCheck(hc, `app.healthChecks[${i}]`));
  const readiness = readinessContextOf(raw);
  const problems: NormaliseProblem[] = [];
  const tasks: Task[] = [];
  for (const [i, rawTask] of optArray(raw, "tasks", "app").entries()) {
    try {
      tasks.push(readTask(rawTask, id, layout, healthChecks.length, readiness, nowMs, `app.tasks[${i}]`));
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      problems.push({ appId: id, message: `task left out: ${error.message}` });
    }
  }
  tasks.sort((a, b) => compare(a.id, b.id));
  const app: App = {
    id,
    instances: optNumber(raw, "instances", 1, "app"),
    env: stringMap(raw, "env", "app"),
    labels: stringMap(raw, "labels", "app"),
    ports: layout.ports,
    healthChecks,
    readinessCheckPath: readinessCheckPathOf(raw),
    tasks,
  };
  return { app, problems };
}

const HTTP_LIKE = new Set(["HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS"]);

function readHealthCheck(raw: unknown, where: string): HealthCheck {
  if (!isObject(raw)) throw new ShapeError(`${where} should be an object`);
  const protocol = optString(raw, "protocol", "HTTP", where).toUpperCase();
  const port = raw.port;
  return {
    protocol,
    // Marathon probes "/" when an HTTP check names no path.
    path: HTTP_LIKE.has(protocol) ? optString(raw, "path", "/", where) : "",
    portIndex: optNumber(raw, "portIndex", 0, where),
    port: typeof port === "number" && Number.isInteger(port) && port > 0 ? port : null,
    intervalSeconds: optNumber(raw, "intervalSeconds", 60, where),
    timeoutSeconds: optNumber(raw, "timeoutSeconds", 20, where),
    maxConsecutiveFailures: optNumber(raw, "maxConsecutiveFailures", 3, where),
  };
}

function readTask(
  raw: unknown,
  appId: string,
  layout: PortLayout,
  healthCheckCount: number,
  readiness: ReadinessContext,
  nowMs: number,
  where: string,
): Task {
  if (!isObject(raw)) throw new ShapeError(`${where} should be an object`);
  const id = optString(raw, "id", "", where);
  if (id === "") throw new ShapeError(`${where} has no id`);
  const taskWhere = `task ${id}`;
  const startedAtRaw = optString(raw, "startedAt", "", taskWhere);
  const startedAt = startedAtRaw === "" ? null : startedAtRaw;
  // Marathon before 1.0 sent no state; it listed only launched tasks, and a start time means running.
  const state = optString(raw, "state", startedAt === null ? "TASK_STAGING" : "TASK_RUNNING", taskWhere);
  const address = taskAddressOf(layout, raw, taskWhere);
  const health = healthOf(raw, healthCheckCount, taskWhere);
  return {
    id,
    appId,
    host: address.host,
    ports: address.ports,
    state,
    alive: health.alive,
    healthKnown: health.healthKnown,
    ready: readyOf(id, state, startedAt, readiness, nowMs),
    startedAt,
  };
}

/** Code-unit order, so the result never depends on the machine's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
