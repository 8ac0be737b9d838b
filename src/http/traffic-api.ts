import { normaliseServiceId } from "../routing/ids.ts";
import type { TemplateApp } from "../routing/template-data.ts";
import type { TrafficSampler } from "../traffic/sampler.ts";
import { HttpError, jsonResponse } from "./errors.ts";
import type { StreamExtra } from "./overview-feed.ts";
import type { Router } from "./router.ts";
import type { AppTraffic, TrafficHistory, TrafficPoint } from "./ui/api-types.ts";

/**
 * The history's buckets: 30 points over 15 minutes, whatever the sampling interval, so the
 * window of 10,000 busy apps is a few megabytes rather than tens.
 */
const HISTORY_BUCKET_MS = 30_000;

export interface TrafficApiDeps {
  readonly traffic: TrafficSampler;
  /** The apps HAProxy runs, to name each server's task. */
  readonly apps: () => readonly TemplateApp[];
}

/** `GET /api/traffic` and `GET /api/traffic/apps/<id>`. */
export function mountTrafficApi(router: Router, deps: TrafficApiDeps): void {
  router.on("GET", "/api/traffic", () => jsonResponse(historyOf(deps.traffic)));
  router.on("GET", "/api/traffic/apps/*", (_request, { rest }) => {
    const id = normaliseServiceId(rest);
    const app = deps.apps().find((candidate) => candidate.Id === id);
    const { window } = deps.traffic;
    if (!app && !window.appIds().includes(id)) throw new HttpError(404, `no app with id ${id}`);
    return jsonResponse(appTrafficOf(deps.traffic, id, app));
  });
}

/** The events the page's stream carries for traffic: the window when it opens, then each sample. */
export function trafficStream(traffic: TrafficSampler): StreamExtra {
  const sends = new Set<(event: string, json: string) => void>();
  traffic.onSample((sample) => {
    if (sends.size === 0) return;
    const json = JSON.stringify(sample);
    for (const send of sends) send("traffic", json);
  });
  return {
    opening: () => [{ event: "traffic-history", json: JSON.stringify(historyOf(traffic)) }],
    subscribe: (send) => {
      sends.add(send);
      return () => sends.delete(send);
    },
  };
}

export function historyOf(traffic: TrafficSampler): TrafficHistory {
  const status = traffic.status();
  const bucketMs = Math.max(HISTORY_BUCKET_MS, status.intervalMs);
  const { times, totals, apps } = traffic.window.history(bucketMs);
  return {
    intervalMs: status.intervalMs,
    windowMs: traffic.windowMs,
    bucketMs,
    sampling: samplingOf(status),
    times,
    totals,
    apps: Object.fromEntries(apps),
  };
}

function appTrafficOf(traffic: TrafficSampler, id: string, app: TemplateApp | undefined): AppTraffic {
  const status = traffic.status();
  const { times, points } = traffic.window.app(id);
  const servers = traffic.window.servers(id);
  const taskAt = new Map((app?.AllTasks ?? []).map((task) => [`${task.Host}:${task.Port}`, task.Id]));
  return {
    id,
    intervalMs: status.intervalMs,
    windowMs: traffic.windowMs,
    sampling: samplingOf(status),
    times,
    points: points as TrafficPoint[],
    servers: servers === null ? null : servers.map((server) => ({ ...server, taskId: taskAt.get(server.address) ?? null })),
    ...(servers === null ? { serversWhy: `the per-server split is taken for the ${traffic.serverSplitLimit} busiest apps only, and this app has not been one of them in the last ${Math.round(traffic.windowMs / 60_000)} minutes` } : {}),
  };
}

function samplingOf(status: ReturnType<TrafficSampler["status"]>) {
  return status.message === undefined ? { state: status.state } : { state: status.state, message: status.message };
}
