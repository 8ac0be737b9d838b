import type { App } from "../marathon/types.ts";
import { auditStoredRules, type AclPolicy } from "../routing/acl/index.ts";
import type { TemplateApp, TemplateData } from "../routing/template-data.ts";
import type { Service } from "../store/types.ts";
import type { HAProxyServerState, Overview, OverviewApp } from "./ui/api-types.ts";
import { TimeSlice } from "../system/time-slice.ts";
import { problemsOf, type LoopReadings } from "./views.ts";

export interface OverviewInput {
  readonly data: TemplateData;
  /** Every app as last fetched, for instance counts. */
  readonly apps: readonly App[];
  readonly services: readonly Service[];
  /** HAProxy's state of each server by "host:port"; empty when HAProxy could not be asked. */
  readonly haproxy: ReadonlyMap<string, HAProxyServerState>;
  /** Apps left to instances of other groups, and the groups this one serves. */
  readonly elsewhere?: { readonly ids: readonly string[]; readonly groups: readonly string[] };
  readonly warnings: Overview["warnings"];
  readonly overlaps: Overview["overlaps"];
}

/** Everything the UI's overview shows, without version, id and time (the feed adds those). */
export type OverviewBody = Omit<Overview, "version" | "eventId" | "generatedAt">;

type RowMemo = WeakMap<
  TemplateApp,
  {
    readonly instances: number;
    /** The states map the row was last checked against: the same map needs no new look at them. */
    readonly checkedWith: ReadonlyMap<string, HAProxyServerState>;
    readonly states: readonly (HAProxyServerState | null)[];
    readonly row: OverviewApp;
  }
>;

/**
 * Builds the UI's overview. A row whose inputs did not change (the same TemplateApp object,
 * instance count and HAProxy states) is the same object as last time, so the feed can tell
 * changed rows apart by identity; the builder keeps what that takes.
 */
export class OverviewBuilder {
  readonly #rows: RowMemo = new WeakMap();
  /** Instance counts and app ids of the last lists seen, rebuilt only when the lists change. */
  #instances: { readonly apps: readonly App[]; readonly byId: ReadonlyMap<string, number> } | null = null;
  #appIds: { readonly apps: readonly TemplateApp[]; readonly elsewhere: readonly string[]; readonly ids: ReadonlySet<string> } | null = null;
  #audit: { readonly key: string; readonly warnings: ReturnType<typeof auditStoredRules> } = { key: "", warnings: [] };

  constructor(private readonly policy: AclPolicy) {}

  /** The overview of the config HAProxy runs, with every problem and the stored rules' overlaps. */
  fromReadings(readings: LoopReadings, haproxy: ReadonlyMap<string, HAProxyServerState>): OverviewBody {
    const { snapshot, data } = readings.applied;
    const audit = this.#auditOf(snapshot.services);
    return this.build({
      data,
      apps: snapshot.apps,
      services: snapshot.services,
      haproxy,
      elsewhere: { ids: readings.applied.elsewhere, groups: readings.groups.groups },
      warnings: [...problemsOf(readings), ...audit.filter((w) => w.kind !== "overlap").map(({ id, message }) => ({ id, message }))],
      overlaps: audit.filter((w) => w.kind === "overlap").map((w) => ({ id: w.id, otherId: w.otherId ?? "", detail: w.message })),
    });
  }

  /**
   * Checks every row against a new map of HAProxy's states, giving way to the event loop as
   * it goes, so that the build which follows finds them checked: at 10,000 apps that check
   * is 20 ms, too long to hold up a task event.
   */
  async prepare(input: Pick<OverviewInput, "data" | "apps" | "haproxy">, slice = new TimeSlice()): Promise<void> {
    const instances = this.#instancesOf(input.apps);
    for (const app of input.data.Apps) {
      this.#row(app, instances.get(app.Id) ?? app.AllTasks.length, input.haproxy);
      if (slice.due()) await slice.pause();
    }
  }

  /**
   * One row per app with a colour and a word a person understands; deterministic. At 10,000
   * apps it runs after every applied event while a browser watches: what the last lists and
   * states already gave is not computed again.
   */
  build(input: OverviewInput): OverviewBody {
    // Apps served elsewhere are Marathon's all the same: their stored rules are no orphans.
    const elsewhere = input.elsewhere?.ids ?? [];
    if (this.#appIds?.apps !== input.data.Apps || this.#appIds.elsewhere !== elsewhere) {
      this.#appIds = { apps: input.data.Apps, elsewhere, ids: new Set([...input.data.Apps.map((app) => app.Id), ...elsewhere]) };
    }
    const instances = this.#instancesOf(input.apps);
    const appIds = this.#appIds.ids;
    return {
      apps: input.data.Apps.map((app) => this.#row(app, instances.get(app.Id) ?? app.AllTasks.length, input.haproxy)),
      orphanServices: input.services.filter((service) => !appIds.has(service.id)).map((service) => ({ id: service.id, acl: service.acl })),
      ...(elsewhere.length > 0 ? { elsewhere: { count: elsewhere.length, groups: input.elsewhere!.groups } } : {}),
      warnings: input.warnings,
      overlaps: input.overlaps,
    };
  }

  #row(app: TemplateApp, instances: number, haproxy: ReadonlyMap<string, HAProxyServerState>): OverviewApp {
    const known = this.#rows.get(app);
    if (known && known.instances === instances && known.checkedWith === haproxy) return known.row;
    const states = app.Tasks.map((task) => haproxy.get(`${task.Host}:${task.Port}`) ?? null);
    const row = known && known.instances === instances && known.states.every((state, i) => state === states[i]) ? known.row : overviewApp(app, instances, haproxy);
    this.#rows.set(app, { instances, checkedWith: haproxy, states, row });
    return row;
  }

  #instancesOf(apps: readonly App[]): ReadonlyMap<string, number> {
    if (this.#instances?.apps !== apps) this.#instances = { apps, byId: new Map(apps.map((app) => [app.id, app.instances])) };
    return this.#instances.byId;
  }

  /** Every stored rule checked against every other: quadratic, so only when the rules changed. */
  #auditOf(services: readonly Service[]) {
    const key = services.map((service) => `${service.id}\u0000${service.acl}`).join("\u0001");
    if (key !== this.#audit.key) this.#audit = { key, warnings: auditStoredRules(services, this.policy) };
    return this.#audit.warnings;
  }
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
    rule: { acl: app.Acl, source: app.RuleSource },
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
  if (app.RuleSource === "default") return { status: "no-rule", statusText: `no rule yet: routed by the default rule ${app.Acl}` };
  if (routed < instances) return { status: "partial", statusText: `partly healthy: ${routed} of ${instances} tasks routed` };
  return { status: "healthy", statusText: `routed and healthy: ${routed} of ${instances} tasks` };
}
