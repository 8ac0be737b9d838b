import type { MapFile } from "../haproxy/map-files.ts";
import type { App } from "../marathon/types.ts";
import { assignServicePorts, portPlansOf, type AppPortPlans, type AppServicePorts, type PortAssignment, type PortMode, type ServiceBind } from "../routing/service-ports.ts";
import type { RoutingProblem } from "./problems.ts";
import { AppMemo } from "../marathon/app-memo.ts";

/** What an installation decides about service ports. */
export interface ServicePortOptions {
  readonly bind: ServiceBind;
  /** Ports bamboo listens on itself, with what listens there. */
  readonly reserved: ReadonlyMap<number, string>;
}

export interface ServicePortsPlan {
  /** By app id; identical objects while an app's ports are served the same way. */
  readonly ofApp: ReadonlyMap<string, AppServicePorts>;
  /** One map per mode, port → backend, that the listeners' frontend looks up. */
  readonly maps: Readonly<Record<PortMode, MapFile>>;
  /** What each mode's frontend binds (`127.0.0.1:10001`), in port order. */
  readonly binds: Readonly<Record<PortMode, readonly string[]>>;
  /** Listening sockets, one per port and address. */
  readonly sockets: number;
  /** Apps the shared HTTP frontend does not route, by id, with why: port 0 is TCP or disabled. */
  readonly offFrontend: ReadonlyMap<string, string>;
  readonly problems: readonly RoutingProblem[];
}

interface LastPlan {
  readonly plans: readonly AppPortPlans[];
  readonly unbindable: ReadonlyMap<number, string>;
  readonly result: ServicePortsPlan;
}

/**
 * Each listening socket is a file descriptor HAProxy holds for good, next to two per
 * connection (4,096 connections: 8,192): 10,000 more stays under the 20,000 a container is
 * commonly allowed, and under what HAProxy can open without the idle-connection reuse that
 * keeps it fast (haproxy/fd-ratios.ts).
 */
const MAX_LISTENING_SOCKETS = 10_000;

const NOTHING_REFUSED: ReadonlyMap<number, string> = new Map();

/**
 * Plans every app's service-port listeners (routing/service-ports.ts) and keeps what did not
 * change: a task event among 10,000 apps must neither compare 10,000 apps' ports again nor
 * hand the template new objects for them (template-memo.ts reuses text by identity).
 */
export class ServicePortPlanner {
  readonly #plans = new AppMemo<AppPortPlans>();
  /** The last plan and what it was made from; its apps' entries are reused by id. */
  #last: LastPlan | null = null;

  constructor(
    private readonly options: ServicePortOptions,
    private readonly mapDir: string,
  ) {}

  plan(apps: readonly App[], unbindable: ReadonlyMap<number, string>): ServicePortsPlan {
    const last = this.#last;
    const plans = apps.map((app) => this.#plansOf(app, last));
    this.#plans.keepOnly(apps);
    if (last !== null && last.unbindable === unbindable && samePlans(plans, last.plans)) return last.result;
    const assignment = assignServicePorts(
      apps.map((app, i) => ({ id: app.id, plans: plans[i]! })),
      this.options.reserved,
      unbindable,
      MAX_LISTENING_SOCKETS,
    );
    const ofApp = new Map<string, AppServicePorts>();
    const offFrontend = new Map<string, string>();
    const problems: RoutingProblem[] = [];
    apps.forEach((app, i) => {
      const portZero = plans[i]!.ports[0];
      if (portZero?.mode === "tcp") offFrontend.set(app.id, `its port 0 is TCP (${portZero.modeFrom})`);
      else if (portZero?.enabled === false) offFrontend.set(app.id, "HAPROXY_0_ENABLED is false");
      const refused = assignment.refused.get(app.id) ?? NOTHING_REFUSED;
      const before = last?.result.ofApp.get(app.id);
      ofApp.set(app.id, before !== undefined && before.plans === plans[i] && sameRefusals(before.refused, refused) ? before : { plans: plans[i]!, refused });
      for (const message of plans[i]!.problems) problems.push({ id: app.id, message });
      for (const message of refused.values()) problems.push({ id: app.id, message });
    });
    const maps = this.#maps(assignment, last);
    const binds = this.#binds(assignment, last);
    this.#last = { plans, unbindable, result: { ofApp, maps, binds, sockets: assignment.sockets, offFrontend, problems } };
    return this.#last.result;
  }

  /** An app object Marathon changed (a task came) usually has the same ports: the same plans object then. */
  #plansOf(app: App, last: LastPlan | null): AppPortPlans {
    let plans = this.#plans.get(app);
    if (plans !== undefined) return plans;
    plans = portPlansOf(app, this.options.bind);
    const before = last?.result.ofApp.get(app.id)?.plans;
    if (before !== undefined && Bun.deepEquals(before, plans)) plans = before;
    this.#plans.set(app, plans);
    return plans;
  }

  #binds(assignment: PortAssignment, last: LastPlan | null): Readonly<Record<PortMode, readonly string[]>> {
    return { http: bindsOf(assignment, "http", last?.result.binds.http), tcp: bindsOf(assignment, "tcp", last?.result.binds.tcp) };
  }

  #maps(assignment: PortAssignment, last: LastPlan | null): Readonly<Record<PortMode, MapFile>> {
    const made = (mode: PortMode): MapFile => {
      const entries = assignment.served.filter((served) => served.mode === mode).map((served) => ({ key: String(served.port), value: served.backend }));
      const before = last?.result.maps[mode];
      return before !== undefined && Bun.deepEquals(before.entries, entries) ? before : { path: `${this.mapDir}/service-ports-${mode}.map`, entries };
    };
    return { http: made("http"), tcp: made("tcp") };
  }
}

/** The same list as before while it has the same binds, so the template renders it once. */
function bindsOf(assignment: PortAssignment, mode: PortMode, before: readonly string[] | undefined): readonly string[] {
  const binds = assignment.served.filter((served) => served.mode === mode).flatMap((served) => served.addresses.map((address) => `${address}:${served.port}`));
  return before !== undefined && Bun.deepEquals(before, binds) ? before : binds;
}

function samePlans(a: readonly AppPortPlans[], b: readonly AppPortPlans[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameRefusals(a: ReadonlyMap<number, string>, b: ReadonlyMap<number, string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [index, why] of a) if (b.get(index) !== why) return false;
  return true;
}
