/**
 * Builders for Marathon JSON as Marathon sends it (raw, before normalising), so a test
 * states only the fields it is about.
 */

import { expect } from "bun:test";
import { MarathonError } from "../../src/marathon/errors.ts";

/** The clock every normalise test uses. */
export const NOW = Date.parse("2024-05-01T12:00:00.000Z");

/** An ISO time `ms` milliseconds before {@link NOW}. */
export function ago(ms: number): string {
  return new Date(NOW - ms).toISOString();
}

type Json = Record<string, unknown>;

/** A host-networking app with one port definition and no tasks. */
export function appJson(overrides: Json = {}): Json {
  return {
    id: "/app",
    instances: 1,
    portDefinitions: [{ port: 10000, protocol: "tcp" }],
    env: {},
    labels: {},
    healthChecks: [],
    deployments: [],
    ...overrides,
  };
}

/** A running task on agent-1 with one host port, started an hour ago. */
export function taskJson(overrides: Json = {}): Json {
  return {
    id: "app.task-1",
    appId: "/app",
    host: "agent-1",
    ports: [31000],
    state: "TASK_RUNNING",
    startedAt: ago(3_600_000),
    stagedAt: ago(3_601_000),
    ...overrides,
  };
}

/** An HTTP health check on port index 0. */
export function httpCheck(overrides: Json = {}): Json {
  return { protocol: "HTTP", path: "/health", portIndex: 0, intervalSeconds: 10, timeoutSeconds: 5, maxConsecutiveFailures: 3, ...overrides };
}

/** Health check results, one per `alive` flag. */
export function results(...alive: boolean[]): Json[] {
  return alive.map((a) => ({ alive: a, consecutiveFailures: a ? 0 : 1, firstSuccess: ago(60_000), lastSuccess: a ? ago(1_000) : null }));
}

/** A readiness check with the given timeout. */
export function readinessCheck(timeoutSeconds = 10): Json {
  return { name: "ready", protocol: "HTTP", path: "/ready", portName: "http", intervalSeconds: 5, timeoutSeconds, httpStatusCodesForReady: [200] };
}

/** `{apps: [...]}`, the body of `GET /v2/apps`. */
export function appList(...apps: Json[]): Json {
  return { apps };
}

/** The MarathonError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function expectMarathonError(promise: Promise<unknown>): Promise<MarathonError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MarathonError);
    return error as MarathonError;
  }
  throw new Error("expected a MarathonError");
}
