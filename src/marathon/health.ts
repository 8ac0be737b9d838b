/**
 * Health and readiness of one task, decided the way Bamboo decided them, so that templates
 * written against Bamboo's `Alive` and `Ready` keep their meaning.
 */
import { isObject, optArray, optNumber, optString, type JsonObject } from "./json-read.ts";

/** Verdict on a task's Marathon health checks. */
export interface HealthVerdict {
  readonly alive: boolean;
  readonly healthKnown: boolean;
}

/**
 * Bamboo's rule: a task is alive when every result is alive and there is a result for every
 * health check. Every protocol counts (COMMAND, TCP and MESOS_* report through Marathon too).
 * With checks but no results at all, health is unknown: right after a leader failover Marathon
 * answers without results, and the client then falls back to the last known verdict.
 */
export function healthOf(task: JsonObject, healthCheckCount: number, where: string): HealthVerdict {
  if (healthCheckCount === 0) return { alive: true, healthKnown: true };
  const results = optArray(task, "healthCheckResults", where);
  if (results.length === 0) return { alive: false, healthKnown: false };
  const allAlive = results.every((r) => isObject(r) && r.alive === true);
  return { alive: allAlive && results.length >= healthCheckCount, healthKnown: true };
}

/**
 * Readiness checks may take this long beyond their timeout to report; the margin keeps a task
 * that is still being checked from counting as an old, already-ready task.
 */
export const READINESS_SAFETY_MARGIN_MS = 5_000;

/** Marathon's default readiness check timeout, for definitions that leave it out. */
export const READINESS_DEFAULT_TIMEOUT_SECONDS = 10;

/** What readiness needs to know about the app, read once per app. */
export interface ReadinessContext {
  readonly deploying: boolean;
  readonly hasReadinessChecks: boolean;
  readonly timeoutMs: number;
  /** taskId → ready, from `readinessCheckResults` (embed apps.readiness). */
  readonly results: ReadonlyMap<string, boolean>;
}

export function readinessContextOf(app: JsonObject): ReadinessContext {
  const checks = optArray(app, "readinessChecks", "app");
  const first = checks[0];
  const timeoutSeconds = isObject(first)
    ? optNumber(first, "timeoutSeconds", READINESS_DEFAULT_TIMEOUT_SECONDS, "app.readinessChecks[0]")
    : READINESS_DEFAULT_TIMEOUT_SECONDS;
  const results = new Map<string, boolean>();
  for (const r of optArray(app, "readinessCheckResults", "app")) {
    if (!isObject(r) || typeof r.taskId !== "string") continue;
    // Several checks may report on one task; it is ready only when all of them say so.
    results.set(r.taskId, (results.get(r.taskId) ?? true) && r.ready === true);
  }
  return {
    deploying: optArray(app, "deployments", "app").length > 0,
    hasReadinessChecks: checks.length > 0,
    timeoutMs: timeoutSeconds * 1000,
    results,
  };
}

/**
 * Bamboo's `Ready`. Readiness only matters while a deployment runs: outside one every running
 * task is ready. During one, a task without a result that started longer ago than the check
 * timeout plus a margin belongs to the previous version (Marathon never checks those), so it
 * stays ready; a younger one is still being checked and is not.
 */
export function readyOf(taskId: string, state: string, startedAt: string | null, ctx: ReadinessContext, nowMs: number): boolean {
  if (state !== "TASK_RUNNING") return false;
  if (!ctx.deploying || !ctx.hasReadinessChecks) return true;
  const result = ctx.results.get(taskId);
  if (result !== undefined) return result;
  const started = startedAt === null ? Number.NaN : Date.parse(startedAt);
  if (Number.isNaN(started)) return false;
  return nowMs - started > ctx.timeoutMs + READINESS_SAFETY_MARGIN_MS;
}

/** The readiness check path Bamboo exposes as `ReadinessCheckPath`. */
export function readinessCheckPathOf(app: JsonObject): string {
  const first = optArray(app, "readinessChecks", "app")[0];
  return isObject(first) ? optString(first, "path", "", "app.readinessChecks[0]") : "";
}
