import type { HAProxyServerState, Overview, OverviewApp } from "./ui/api-types.ts";
import type { App } from "../marathon/types.ts";
import type { Service } from "../store/types.ts";
import type { TemplateApp, TemplateData } from "../routing/template-data.ts";

export interface OverviewInput {
  readonly data: TemplateData;
  /** Every app as last fetched, for instance counts. */
  readonly apps: readonly App[];
  readonly services: readonly Service[];
  /** HAProxy's state of each server by "host:port"; empty when HAProxy could not be asked. */
  readonly haproxy: ReadonlyMap<string, HAProxyServerState>;
  readonly warnings: Overview["warnings"];
  readonly overlaps: Overview["overlaps"];
}

/** Everything the UI's overview shows, without version, id and time (the feed adds those). */
export type OverviewBody = Omit<Overview, "version" | "eventId" | "generatedAt">;

/**
 * One row per app with a colour and a word a person understands; deterministic. A row whose
 * inputs did not change (the same TemplateApp object, instance count and HAProxy states) is
 * the same object as last time, so the feed can tell changed rows apart by identity.
 */
export function buildOverview(input: OverviewInput): OverviewBody {
  const instances = new Map(input.apps.map((app) => [app.id, app.instances]));
  const appIds = new Set(input.data.Apps.map((app) => app.Id));
  return {
    apps: input.data.Apps.map((app) => overviewAppOf(app, instances.get(app.Id) ?? app.AllTasks.length, input.haproxy)),
    orphanServices: input.services.filter((service) => !appIds.has(service.id)).map((service) => ({ id: service.id, acl: service.acl })),
    warnings: input.warnings,
    overlaps: input.overlaps,
  };
}

const rows = new WeakMap<TemplateApp, { readonly instances: number; readonly states: readonly (HAProxyServerState | null)[]; readonly row: OverviewApp }>();

function overviewAppOf(app: TemplateApp, instances: number, haproxy: ReadonlyMap<string, HAProxyServerState>): OverviewApp {
  const states = app.Tasks.map((task) => haproxy.get(`${task.Host}:${task.Port}`) ?? null);
  const known = rows.get(app);
  if (known && known.instances === instances && known.states.every((state, i) => state === states[i])) return known.row;
  const row = overviewApp(app, instances, haproxy);
  rows.set(app, { instances, states, row });
  return row;
}

function overviewApp(app: TemplateApp, instances: number, haproxy: ReadonlyMap<string, HAProxyServerState>): OverviewApp {
  const routedIds = new Set(app.Tasks.map((task) => task.Id));
  const healthy = app.AllTasks.filter((task) => task.State === "TASK_RUNNING" && task.Alive).length;
  const routed = routedIds.size;
  const servers = app.AllTasks.map((task) => {
    const address = `${task.Host}:${task.Port}`;
    return {
      taskId: task.Id,
      address,
      marathon: { state: task.State, alive: task.Alive, ready: task.Ready },
      haproxy: routedIds.has(task.Id) ? (haproxy.get(address) ?? null) : null,
    };
  });
  return {
    id: app.Id,
    rule: { acl: app.Acl, source: app.HasService ? "service" : "default" },
    instances,
    tasks: { total: app.AllTasks.length, healthy, routed },
    servers,
    ...statusOf(app, routed, instances),
  };
}

function statusOf(app: TemplateApp, routed: number, instances: number): Pick<OverviewApp, "status" | "statusText"> {
  if (routed === 0) {
    return {
      status: "no-healthy-task",
      statusText: app.AllTasks.length === 0 ? "503 for every request: the app has no tasks" : "503 for every request: no task is healthy",
    };
  }
  if (!app.HasService) return { status: "no-rule", statusText: `no rule yet: routed by the default rule ${app.Acl}` };
  if (routed < instances) return { status: "partial", statusText: `partly healthy: ${routed} of ${instances} tasks routed` };
  return { status: "healthy", statusText: `routed and healthy: ${routed} of ${instances} tasks` };
}
