import { isRoutable, type App, type HealthCheck, type Task } from "../marathon/types.ts";
import { isSortedById, sameService, type Service } from "../store/types.ts";
import { memoByObject, orderByPrecedence, reorderByPrecedence, ruleParser, type AclRule, type PrecedenceKey, type RuleParser } from "./acl/index.ts";
import type { NamedCertificate } from "../tls/certificate.ts";
import { httpsSettingsOf } from "./https-settings.ts";
import { escapedId, mesosDnsId, splitId } from "./ids.ts";
import { portRouteRankId, type PortRoute } from "./port-routes.ts";
import { placementOf, routeSteps } from "./route-maps.ts";
import { NO_SERVICE_PORTS, portBackendName, type AppServicePorts, type PortMode } from "./service-ports.ts";
import { AppMemo } from "../marathon/app-memo.ts";
import { NONE } from "../system/none.ts";

/**
 * The data users' templates are written against: Bamboo's names and shapes
 * (`Apps`, `Services`, `EscapedId`, `Tasks`...), so a Bamboo template ports one to one.
 * Additions are documented in the README; nothing Bamboo had is renamed.
 */
export interface TemplateData {
  readonly Apps: readonly TemplateApp[];
  /**
   * The same apps in the order the frontend must test their rules: most specific first
   * (exact host and path, exact host, longer path prefixes...), so overlapping rules route
   * deterministically whatever order they were stored in. Rules bamboo cannot read come last.
   */
  readonly Routes: readonly TemplateApp[];
  /**
   * The same order as `Routes`, as the default template routes it: map lookups for the rules
   * that are exact or prefix keys, chain lines for the others (routing/route-maps.ts).
   */
  readonly Frontend: readonly FrontendStep[];
  /** Every map file `Frontend` looks up, with its entries; bamboo writes them before HAProxy loads the config. */
  readonly Maps: readonly TemplateMap[];
  readonly Services: Readonly<Record<string, TemplateService>>;
  /**
   * The certificates HTTPS serves, sorted by source and name; empty when there are none, and
   * then the default template has no HTTPS bind. Bamboo writes each to its `Path` and lists
   * it in `HAProxy.CrtList` for its host names; the private keys never reach the template.
   */
  readonly Certificates: readonly TemplateCertificate[];
  /** Settings and paths the template needs (binds, sockets, timeouts). */
  readonly HAProxy: HAProxyTemplateSettings;
  /** The frontends of the apps' service ports (`Ports[].Binds`): one per mode with a listener. */
  readonly ServicePorts: TemplateServicePorts;
}

/** The service ports a compile planned (compile/service-port-plans.ts): each app's, and the frontends'. */
export interface ServicePortsInput {
  readonly ofApp: ReadonlyMap<string, AppServicePorts>;
  readonly frontends: TemplateServicePorts;
}

/** No service-port listeners: a one-off render, or a template check. */
export const NO_SERVICE_PORT_LISTENERS: ServicePortsInput = { ofApp: new Map(), frontends: { HttpMap: "", TcpMap: "", HttpBinds: [], TcpBinds: [], Listened: { http: 0, tcp: 0 }, PoolLowFdRatio: 0, PoolHighFdRatio: 0 } };

export interface TemplateServicePorts {
  /** Map file (port → backend) the HTTP listeners' frontend looks up; "" when no port listens in HTTP mode. */
  readonly HttpMap: string;
  /** The same for TCP. */
  readonly TcpMap: string;
  /**
   * Every bind of the HTTP listeners (`127.0.0.1:10001`), in port order: the same list (===)
   * while no listener changes, so the template renders it once (each app's `Ports[].Binds` hold
   * the same binds for templates that go app by app).
   */
  readonly HttpBinds: readonly string[];
  readonly TcpBinds: readonly string[];
  /** How many of the apps' ports listen, by mode: what /api/status and /metrics count. */
  readonly Listened: { readonly http: number; readonly tcp: number };
  /**
   * HAProxy's `tune.pool-low-fd-ratio` and `tune.pool-high-fd-ratio` with room made for the
   * listening sockets (haproxy/fd-ratios.ts); 0 without service-port listeners.
   */
  readonly PoolLowFdRatio: number;
  readonly PoolHighFdRatio: number;
}

/** One step of the frontend: a map lookup (`Map`), or chain lines for these apps' rules (`Chain`). */
export interface FrontendStep {
  readonly Map: TemplateMap | null;
  readonly Chain: readonly TemplateApp[];
}

export interface TemplateMap {
  /** File name, e.g. `host.map`. */
  readonly Name: string;
  /** Absolute path of the file, under `HAProxy.MapDir`. */
  readonly Path: string;
  /** The sample looked up, e.g. `req.hdr(host),lower`: keys are folded the same way. */
  readonly Sample: string;
  /** `map_str` (exact) or `map_beg` (longest prefix). */
  readonly Converter: string;
  /** In the file's order; `Value` is the backend name (`<EscapedId>-cluster`, or a port's `-cluster-port<n>`). */
  readonly Entries: readonly { readonly Key: string; readonly Value: string; readonly Id: string }[];
}

export interface TemplateCertificate {
  readonly Name: string;
  /** `api` (uploaded, kept in the store) or `dir` (a file of BAMBOO_CERT_DIR). */
  readonly Source: string;
  /** The SNI names it answers, wildcards as `*.example.com`. */
  readonly Hosts: readonly string[];
  /** The file HAProxy loads it from, under `HAProxy.CertificateDir`. */
  readonly Path: string;
}

export interface TemplateService {
  readonly Id: string;
  readonly Acl: string;
  readonly Config: Readonly<Record<string, string>>;
}

export interface TemplateTask {
  readonly Id: string;
  readonly Host: string;
  /** The task's port for service port index 0. */
  readonly Port: number;
  readonly Ports: readonly number[];
  readonly Alive: boolean;
  readonly State: string;
  readonly Ready: boolean;
}

export interface TemplateHealthCheck {
  readonly Protocol: string;
  readonly Path: string;
  readonly PortIndex: number;
}

export interface TemplatePort {
  readonly Index: number;
  readonly ServicePort: number;
  /** HTTP health-check path probing this port, or "". */
  readonly HealthCheckPath: string;
  readonly HealthCheckProtocol: string;
  /** True when a health check (HTTP or TCP) probes this port: its servers are checked. */
  readonly Checked: boolean;
  /** Routable tasks with their address for this port. */
  readonly Servers: readonly { readonly Id: string; readonly Host: string; readonly Port: number }[];
  /** `http` or `tcp` (routing/service-ports.ts), and what decided it. */
  readonly Mode: PortMode;
  readonly ModeFrom: string;
  /** Its backend: port 0 shares the app's `-cluster` backend, port n has `-cluster-port<n>`. */
  readonly Backend: string;
  /** What its listener binds (`:10001`, `127.0.0.1:10001`); empty when it has none. */
  readonly Binds: readonly string[];
  /** Why it has no listener (another app has the port, HAPROXY_{n}_ENABLED...); "" when it has one. */
  readonly NotListened: string;
  /** HAPROXY_{n}_BALANCE for ports after the first (port 0's is the app's `Balance`); "" otherwise. */
  readonly Balance: string;
  /** HAPROXY_{n}_STICKY: a client keeps its server (a cookie in HTTP mode, `balance source` in TCP). */
  readonly Sticky: boolean;
  /**
   * For a port after the first, the rule its labels give (HAPROXY_{n}_VHOST, HAPROXY_{n}_PATH)
   * by which the shared HTTP frontend routes to `Backend` through its maps; "" when none.
   * Port 0 is routed by the app's `Acl`.
   */
  readonly Acl: string;
  /** Answer HTTP with a 301 to HTTPS (HAPROXY_{n}_REDIRECT_TO_HTTPS), for a port with an `Acl`, while HTTPS is served. */
  readonly RedirectToHttps: boolean;
  /** HAPROXY_{n}_USE_HSTS: the Strict-Transport-Security value, for a port with an `Acl`; "" for none. */
  readonly Hsts: string;
}

export interface TemplateApp {
  readonly Id: string;
  readonly EscapedId: string;
  readonly MesosDnsId: string;
  readonly SplitId: readonly string[];
  readonly HealthCheckPath: string;
  readonly HealthCheckProtocol: string;
  readonly HealthChecks: readonly TemplateHealthCheck[];
  readonly ReadinessCheckPath: string;
  readonly ServicePort: number;
  readonly ServicePorts: readonly number[];
  readonly Env: Readonly<Record<string, string>>;
  readonly Labels: Readonly<Record<string, string>>;
  /**
   * Tasks that may receive traffic: TASK_RUNNING, alive in every Marathon health check,
   * ready. Bamboo listed every task here and routed to unhealthy ones; see `AllTasks`.
   */
  readonly Tasks: readonly TemplateTask[];
  /** Every task Marathon reports, whatever its state. */
  readonly AllTasks: readonly TemplateTask[];
  /** Every service port with its routable servers, for templates that route more than port 0. */
  readonly Ports: readonly TemplatePort[];
  /** The rule that routes to this app: its service's ACL, the one its labels give, or `path_beg -i <id>`. */
  readonly Acl: string;
  /** True when `Acl` comes from a stored service. */
  readonly HasService: boolean;
  /** marathon-lb's `HAPROXY_0_BALANCE` when it names an algorithm without arguments, lower-cased; "" otherwise. */
  readonly Balance: string;
  /** Mode of the app's `-cluster` backend: port 0's (HAPROXY_0_MODE...), `http` for an app without ports. */
  readonly Mode: PortMode;
  /** False when the shared HTTP frontend does not route to the app: port 0 is TCP or disabled (HAPROXY_0_ENABLED). */
  readonly HttpRouted: boolean;
  /** HAPROXY_0_STICKY: a client keeps its server (a cookie in HTTP mode, `balance source` in TCP). */
  readonly Sticky: boolean;
  /** Where `Acl` comes from: a stored service, the app's marathon-lb labels, or the default path rule. */
  readonly RuleSource: "service" | "labels" | "default";
  /** Answer HTTP with a 301 to the same URL over HTTPS; only while HTTPS is served (routing/https-settings.ts). */
  readonly RedirectToHttps: boolean;
  /** The Strict-Transport-Security value for HTTPS answers; "" for none. */
  readonly Hsts: string;
}

export interface HAProxyTemplateSettings {
  /** Bind of the HTTP frontend, e.g. `:80` or `127.0.0.1:8080`. */
  readonly HttpBind: string;
  /** Host part of the HTTP bind ("" for all IPv4), for extra listeners such as BAMBOO_TCP_PORT. */
  readonly BindHost: string;
  readonly StatsSocket: string;
  /** UNIX socket the stats page listens on; bamboo proxies it at /haproxy_stats. */
  readonly StatsPageSocket: string;
  readonly ServerStateFile: string;
  /** Directory of the map files (`Maps`). */
  readonly MapDir: string;
  readonly MaxConn: number;
  readonly TimeoutConnect: string;
  readonly TimeoutClient: string;
  readonly TimeoutServer: string;
  readonly TimeoutTunnel: string;
  readonly HardStopAfter: string;
  /** Bind of HTTPS, e.g. `:443`. */
  readonly HttpsBind: string;
  /** What a redirect to HTTPS puts after the host: "" for port 443, else `:<port>`. */
  readonly HttpsPortSuffix: string;
  /** Directory of the served certificates' files; readable by bamboo's user only. */
  readonly CertificateDir: string;
  /** The crt-list naming each certificate with its SNI names. */
  readonly CrtList: string;
  /** Served to clients asking for a host no certificate names. */
  readonly DefaultCertificate: string;
  readonly TlsMinVersion: string;
  readonly TlsCiphers: string;
  readonly TlsCiphersuites: string;
  /** HAProxy's access logs (HAPROXY_ACCESS_LOG), null when off. */
  readonly AccessLog: TemplateAccessLog | null;
}

export interface TemplateAccessLog {
  /** One JSON object per line; false: HAProxy's `option httplog` text. */
  readonly Json: boolean;
  /** HAProxy's `log` target: `stdout` (bamboo points it at its own stdout or a file), or a syslog address. */
  readonly Target: string;
  /** `raw` lines on stdout, `rfc5424` to a syslog server. */
  readonly Format: string;
}

/**
 * Every string that reaches the config file loses its control characters here, once per
 * snapshot: an app's env, label or a service's config value with a newline must not be
 * able to add lines to HAProxy's configuration, whatever the template does with it.
 */
function clean(text: string): string {
  return CONTROL.test(text) ? text.replace(/[\x00-\x1f\x7f]/g, " ") : text;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

function cleanMap(map: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  // Nearly every env and label set is clean already: 20,000 copies at 10,000 apps were memory for nothing.
  const dirty = Object.entries(map).some(([key, value]) => CONTROL.test(key) || CONTROL.test(value));
  if (!dirty) return map;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(map)) out[clean(key)] = clean(value);
  return out;
}

/** Marathon checks that HAProxy can also run itself as an `option httpchk`. */
const HTTP_CHECK_PROTOCOLS = new Set(["HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS"]);

/**
 * Builds the template data; deterministic, sorted, never reads the clock. One builder per
 * owner of a lifetime (a compiler): it keeps what it built last to build the next one cheaply.
 *
 * What did not change keeps its object: an app Marathon did not touch (the reconciler keeps
 * its App object) gets the same TemplateApp, and unchanged services the same `Services`.
 * The renderer reuses the text of unchanged items by identity (haproxy/template-memo.ts),
 * which is what keeps one task event cheap with thousands of apps. Nothing here is mutated
 * after it is built, so sharing is safe.
 */
export class TemplateDataBuilder {
  readonly #apps = new AppMemo<
    {
      readonly service: Service | undefined;
      readonly https: boolean;
      readonly ports: AppServicePorts;
      readonly routes: readonly PortRoute[];
      /** Of its service, what a TemplateApp holds: the rule, where it came from, the HTTPS settings. */
      readonly acl: string | null;
      readonly origin: string;
      readonly redirect: boolean;
      readonly hsts: string;
      readonly result: TemplateApp;
    }
  >();
  #certificates: { readonly input: readonly NamedCertificate[]; readonly dir: string; readonly result: readonly TemplateCertificate[] } = { input: [], dir: "", result: [] };
  #services: {
    readonly input: readonly Service[];
    /** What `result` was made from, sorted by id. */
    readonly sorted: readonly Service[];
    readonly result: Readonly<Record<string, TemplateService>>;
  } = { input: [], sorted: [], result: {} };
  /** The apps' template data last built; `apps` is null when that list did not come sorted. */
  #appsOf: {
    readonly apps: readonly App[] | null;
    readonly services: readonly Service[];
    readonly https: boolean;
    readonly ports: ServicePortsInput;
    readonly portRoutes: ReadonlyMap<string, readonly PortRoute[]>;
    readonly result: readonly TemplateApp[];
  } = {
    apps: null,
    services: [],
    https: false,
    ports: NO_SERVICE_PORT_LISTENERS,
    portRoutes: NO_PORT_ROUTES,
    result: [],
  };
  /** The last routing order and its frontend. */
  #order: RoutingOrder = {
    apps: [],
    portRoutes: NO_PORT_ROUTES,
    mapDir: "",
    ranked: [],
    unreadable: [],
    positions: [],
    steps: [],
    maps: [],
  };
  // One memo for both: each WeakMap entry is visited at every young collection (app-memo.ts).
  readonly #placement = memoByObject(placementOf);
  readonly #precedence = (rule: AclRule): PrecedenceKey => this.#placement(rule).precedence;

  /** `parse`: rules are ranked again whenever one changes; the appliance shares its parser (acl/memo.ts). */
  constructor(private readonly parse: RuleParser = ruleParser()) {}

  build(
    apps: readonly App[],
    services: readonly Service[],
    settings: HAProxyTemplateSettings,
    certificates: readonly NamedCertificate[] = [],
    ports: ServicePortsInput = NO_SERVICE_PORT_LISTENERS,
    portRoutes: ReadonlyMap<string, readonly PortRoute[]> = NO_PORT_ROUTES,
  ): TemplateData {
    const templateApps = this.#templateAppsOf(apps, services, certificates.length > 0, ports, portRoutes);
    const order = this.#routingOrder(templateApps, portRoutes, settings.MapDir);
    const routes = order.positions.map((position) => templateApps[position]!);
    let mapIndex = 0;
    const frontend = order.steps.map((step): FrontendStep => (step.kind === "map" ? { Map: order.maps[mapIndex++]!, Chain: [] } : { Map: null, Chain: step.routes.map((position) => templateApps[position]!) }));
    return {
      Apps: templateApps,
      Routes: routes,
      Frontend: frontend,
      Maps: order.maps,
      Services: this.#templateServicesOf(services),
      Certificates: this.#templateCertificatesOf(certificates, settings.CertificateDir),
      HAProxy: settings,
      ServicePorts: ports.frontends,
    };
  }

  /**
   * The apps' template data, sorted by id. A rule write brings the same apps with a service or
   * two changed: only their apps are looked at again, not 10,000 apps and a map of their rules.
   */
  #templateAppsOf(apps: readonly App[], services: readonly Service[], https: boolean, ports: ServicePortsInput, portRoutes: ReadonlyMap<string, readonly PortRoute[]>): readonly TemplateApp[] {
    const last = this.#appsOf;
    const sorted = sortedById(services);
    const portsOf = (app: App): AppServicePorts => ports.ofApp.get(app.id) ?? NO_SERVICE_PORTS;
    const routesOf = (app: App): readonly PortRoute[] => portRoutes.get(app.id) ?? NO_ROUTES_OF_APP;
    const changes = last.apps === apps && last.https === https && last.ports === ports && last.portRoutes === portRoutes ? serviceChanges(last.services, sorted) : null;
    let result: readonly TemplateApp[];
    let ordered = apps;
    if (changes === null) {
      const byId = new Map(sorted.map((service) => [service.id, service]));
      ordered = sortedById(apps);
      result = ordered.map((app) => this.#templateAppOf(app, byId.get(app.id), https, portsOf(app), routesOf(app)));
    } else {
      // The same apps as last time, so last time's were sorted already: index i is apps[i].
      const copy = [...last.result];
      for (const [id, service] of [...changes.upserted.map((service) => [service.id, service] as const), ...changes.removed.map((id) => [id, undefined] as const)]) {
        const index = indexById(copy, id);
        if (index >= 0) copy[index] = this.#templateAppOf(apps[index]!, service, https, portsOf(apps[index]!), routesOf(apps[index]!));
      }
      result = copy;
    }
    this.#apps.keepOnly(apps);
    // Only a list that came sorted can be updated by index next time.
    this.#appsOf = { apps: ordered === apps ? apps : null, services: sorted, https, ports, portRoutes, result };
    return result;
  }

  #templateAppOf(app: App, service: Service | undefined, https: boolean, ports: AppServicePorts, routes: readonly PortRoute[]): TemplateApp {
    const known = this.#apps.get(app);
    // The same app and service objects: nothing to read again (a task event, for 10,000 apps).
    if (known !== undefined && known.service === service && known.https === https && known.ports === ports && known.routes === routes) return known.result;
    // Of its service, a TemplateApp holds the rule and the HTTPS settings: equal ones keep it.
    const settings = httpsSettingsOf(app, service?.config);
    const held = { acl: service?.acl ?? null, origin: service?.origin ?? "", redirect: https && settings.redirect, hsts: settings.hsts };
    const same =
      known !== undefined && known.acl === held.acl && known.origin === held.origin && known.redirect === held.redirect && known.hsts === held.hsts && known.ports === ports && known.routes === routes;
    const result = same ? known.result : new LazyTemplateApp(app, service, held, ports, routes, https);
    this.#apps.set(app, { service, https, ports, routes, ...held, result });
    return result;
  }

  #templateCertificatesOf(certificates: readonly NamedCertificate[], dir: string): readonly TemplateCertificate[] {
    if (this.#certificates.input === certificates && this.#certificates.dir === dir) return this.#certificates.result;
    const result = certificates.map((certificate) => ({
      Name: certificate.name,
      Source: certificate.source,
      Hosts: certificate.info.hosts,
      Path: certificatePath(dir, certificate),
    }));
    this.#certificates = { input: certificates, dir, result };
    return result;
  }

  #templateServicesOf(services: readonly Service[]): Readonly<Record<string, TemplateService>> {
    // The same list as last time: task events change no rule.
    const last = this.#services;
    if (services === last.input) return last.result;
    const sorted = sortedById(services);
    const changes = serviceChanges(last.sorted, sorted);
    let result = last.result;
    // The record's keys are in id order, which a new id cannot take in place.
    if (changes === null || changes.added) result = Object.fromEntries(sorted.map((service) => [clean(service.id), toTemplateService(service)]));
    else if (changes.upserted.length > 0 || changes.removed.length > 0) {
      // A write changes one service of 10,000: copy the rest as they are, in the same order.
      const copy = { ...last.result };
      for (const service of changes.upserted) copy[clean(service.id)] = toTemplateService(service);
      for (const id of changes.removed) delete copy[clean(id)];
      result = copy;
    }
    this.#services = { input: services, sorted, result };
    return result;
  }

  #routingOrder(apps: readonly TemplateApp[], portRoutes: ReadonlyMap<string, readonly PortRoute[]>, mapDir: string): RoutingOrder {
    const last = this.#order;
    const changed = mapDir === last.mapDir && portRoutes === last.portRoutes ? changedRules(apps, last.apps) : null;
    // Task events change no rule: ranking 10,000 rules and building their maps again each time is wasted work.
    if (changed !== null && changed.length === 0) return last;
    let ranked: readonly RankedRoute[];
    let unreadable: readonly UnreadableApp[];
    if (changed === null) {
      const readable: RankedRoute[] = [];
      const rest: UnreadableApp[] = [];
      apps.forEach((app, position) => {
        for (const route of portRoutes.get(app.Id) ?? NO_ROUTES_OF_APP) {
          const id = portRouteRankId(route);
          const backend = portBackendName(app.EscapedId, route.index);
          // Each part is a map key (compile/label-services.ts lets no other through).
          for (const part of route.parts) readable.push({ id, rule: this.#parseReadable(part), position, port: route.index, backend });
        }
        if (!app.HttpRouted) return;
        const parsed = this.parse(app.Acl);
        if (parsed.ok) readable.push({ id: app.Id, rule: parsed.rule, position, port: 0, backend: null });
        else rest.push({ rule: null, position, port: 0, backend: null });
      });
      [ranked, unreadable] = [orderByPrecedence(readable, this.#precedence), rest];
    } else {
      // A rule write: the same apps with a rule or two changed are re-ranked alone; the ports' routes are as they were.
      const positions = new Set(changed);
      const added: RankedRoute[] = [];
      const rest = last.unreadable.filter((entry) => !positions.has(entry.position));
      for (const position of changed) {
        if (!apps[position]!.HttpRouted) continue;
        const parsed = this.parse(apps[position]!.Acl);
        if (parsed.ok) added.push({ id: apps[position]!.Id, rule: parsed.rule, position, port: 0, backend: null });
        else rest.push({ rule: null, position, port: 0, backend: null });
      }
      ranked = reorderByPrecedence(last.ranked, (entry) => entry.port === 0 && positions.has(entry.position), added, this.#precedence);
      unreadable = rest.sort((a, b) => a.position - b.position);
    }
    const ordered: readonly (RankedRoute | UnreadableApp)[] = [...ranked, ...unreadable];
    const steps = routeSteps(ordered, this.#placement);
    const maps = steps.flatMap((step): TemplateMap[] =>
      step.kind === "chain"
        ? []
        : [
            {
              Name: step.map.name,
              Path: `${mapDir}/${step.map.name}`,
              Sample: step.map.sample,
              Converter: step.map.converter,
              Entries: step.entries.map((entry) => {
                const route = ordered[entry.route]!;
                const app = apps[route.position]!;
                return { Key: entry.key, Value: route.backend ?? portBackendName(app.EscapedId, 0), Id: app.Id };
              }),
            },
          ],
    );
    // Chains hold apps' own rules only: every port route is a map key.
    // A map step's entries are in `maps` now; kept, they would be an object per rule for nothing.
    const chainSteps = steps.map((step): OrderStep => (step.kind === "map" ? MAP_STEP : { kind: step.kind, routes: step.routes.map((index) => ordered[index]!.position) }));
    this.#order = { apps, portRoutes, mapDir, ranked, unreadable, positions: ordered.filter(isAppRule).map((entry) => entry.position), steps: chainSteps, maps };
    return this.#order;
  }

  #parseReadable(acl: string): AclRule {
    const parsed = this.parse(acl);
    if (!parsed.ok) throw new Error(`a port route's rule does not parse: ${acl}`);
    return parsed.rule;
  }
}

/** A rule the frontend routes by: an app's own (port 0), or one part of a later port's route. */
interface RankedRoute {
  /** The app id, or for a port route its rank id (port-routes.ts). */
  readonly id: string;
  readonly rule: AclRule;
  /** Its app's index in the id-sorted apps. */
  readonly position: number;
  readonly port: number;
  /** A later port's backend; null for the app's own `-cluster`. */
  readonly backend: string | null;
}

interface UnreadableApp {
  readonly rule: null;
  readonly position: number;
  readonly port: 0;
  readonly backend: null;
}

interface RoutingOrder {
  /** The apps it was computed for: only their ids and rules count. */
  readonly apps: readonly TemplateApp[];
  readonly portRoutes: ReadonlyMap<string, readonly PortRoute[]>;
  readonly mapDir: string;
  /** The rules that read, most specific first; then the apps whose rule does not, by position. */
  readonly ranked: readonly RankedRoute[];
  readonly unreadable: readonly UnreadableApp[];
  /** Positions in the id-sorted apps of their own rules, most specific first (`Routes`). */
  readonly positions: readonly number[];
  /** The frontend's steps, the maps' in the order of `maps`; a chain's are positions in the id-sorted apps. */
  readonly steps: readonly OrderStep[];
  readonly maps: readonly TemplateMap[];
}

type OrderStep = { readonly kind: "map" } | { readonly kind: "chain"; readonly routes: readonly number[] };

const MAP_STEP: OrderStep = Object.freeze({ kind: "map" });

const NO_PORT_ROUTES: ReadonlyMap<string, readonly PortRoute[]> = new Map();
const NO_ROUTES_OF_APP: readonly PortRoute[] = [];

function isAppRule(entry: RankedRoute | UnreadableApp): boolean {
  return entry.port === 0;
}

/** The template data of apps and services, built from nothing: for a one-off render. */
export function toTemplateData(apps: readonly App[], services: readonly Service[], settings: HAProxyTemplateSettings, certificates: readonly NamedCertificate[] = []): TemplateData {
  return new TemplateDataBuilder().build(apps, services, settings, certificates);
}

/**
 * Where a certificate's file goes. Its host names are part of the name: HAProxy's crt-list
 * line of a file cannot change at run time, so a renewal for other names is a new file
 * (haproxy/certificate-plan.ts), while one for the same names replaces the file's content.
 */
export function certificatePath(dir: string, certificate: NamedCertificate): string {
  const hosts = new Bun.CryptoHasher("sha256").update(certificate.info.hosts.join(",")).digest("hex").slice(0, 8);
  return `${dir}/${certificate.source}-${certificate.name}-${hosts}.pem`;
}

/**
 * A TemplateApp. The fields the default template and bamboo's hot paths read are made with it;
 * the rest are made each time they are read, from the app and the compile's plans it keeps:
 * at 10,000 apps, keeping every app's `Ports`, `SplitId`, `AllTasks` and `ServicePorts` cost
 * about 5 MB that nothing read after the first render, and bamboo's memory peak must stay
 * under 150 MiB there (issue 16). A read field is not kept: `Ports` made twice are equal,
 * not the same objects. Handlebars reads only own properties unless told
 * ({@link COMPUTED_TEMPLATE_APP_FIELDS}); `toJSON` gives every field, in the documented order.
 */
class LazyTemplateApp implements TemplateApp {
  readonly Id: string;
  readonly EscapedId: string;
  readonly HealthCheckPath: string;
  readonly HealthCheckProtocol: string;
  readonly Env: Readonly<Record<string, string>>;
  readonly Labels: Readonly<Record<string, string>>;
  readonly Tasks: readonly TemplateTask[];
  readonly Acl: string;
  readonly HasService: boolean;
  readonly RuleSource: "service" | "labels" | "default";
  readonly Balance: string;
  readonly Mode: PortMode;
  readonly HttpRouted: boolean;
  readonly Sticky: boolean;
  readonly RedirectToHttps: boolean;
  readonly Hsts: string;
  readonly #app: App;
  readonly #ports: AppServicePorts;
  readonly #routes: readonly PortRoute[];
  readonly #httpsServed: boolean;

  constructor(app: App, service: Service | undefined, https: { readonly redirect: boolean; readonly hsts: string }, ports: AppServicePorts, routes: readonly PortRoute[], httpsServed: boolean) {
    const portZeroCheck = httpCheckFor(app.healthChecks, 0);
    const ruleSource = service === undefined || service.acl === "" ? "default" : service.origin === "labels" ? "labels" : "service";
    const portZero = ports.plans.ports[0];
    this.Id = app.id;
    this.EscapedId = escapedId(app.id);
    this.HealthCheckPath = clean(portZeroCheck?.path ?? "");
    this.HealthCheckProtocol = portZeroCheck?.protocol ?? "";
    this.Env = cleanMap(app.env);
    this.Labels = cleanMap(app.labels);
    this.Tasks = routedTasks(app.tasks);
    this.Acl = clean(ruleSource === "default" ? `path_beg -i ${app.id}` : service!.acl);
    this.HasService = ruleSource === "service";
    this.RuleSource = ruleSource;
    this.Balance = (app.labels.HAPROXY_0_BALANCE ?? "").trim().toLowerCase();
    this.Mode = portZero?.mode ?? "http";
    this.HttpRouted = portZero === undefined || (portZero.mode === "http" && portZero.enabled);
    this.Sticky = portZero?.sticky ?? false;
    this.RedirectToHttps = https.redirect;
    this.Hsts = https.hsts;
    this.#app = app;
    this.#ports = ports;
    this.#routes = routes;
    this.#httpsServed = httpsServed;
  }

  get MesosDnsId(): string {
    return mesosDnsId(this.#app.id);
  }

  get SplitId(): readonly string[] {
    return splitId(this.#app.id);
  }

  get HealthChecks(): readonly TemplateHealthCheck[] {
    const checks = this.#app.healthChecks;
    return checks.length === 0 ? NONE : checks.map((check) => ({ Protocol: clean(check.protocol), Path: clean(check.path), PortIndex: check.portIndex }));
  }

  get ReadinessCheckPath(): string {
    return clean(this.#app.readinessCheckPath);
  }

  get ServicePort(): number {
    return this.#app.ports[0]?.servicePort ?? 0;
  }

  get ServicePorts(): readonly number[] {
    return this.#app.ports.map((port) => port.servicePort);
  }

  get AllTasks(): readonly TemplateTask[] {
    // Nearly every app: every task routes, and the routed list is the whole list.
    return this.Tasks.length === this.#app.tasks.length ? this.Tasks : this.#app.tasks.map(toTemplateTask);
  }

  get Ports(): readonly TemplatePort[] {
    return portsOf(this.#app, this.EscapedId, this.Tasks, this.#ports, this.#routes, this.#httpsServed);
  }

  /** Whether a port after the first is routed by its labels: without making the ports. */
  static hasLaterPortRoutes(app: TemplateApp): boolean {
    return #routes in app ? app.#routes.length > 0 : app.Ports.some((port) => port.Acl !== "");
  }

  toJSON(): TemplateApp {
    return {
      Id: this.Id,
      EscapedId: this.EscapedId,
      MesosDnsId: this.MesosDnsId,
      SplitId: this.SplitId,
      HealthCheckPath: this.HealthCheckPath,
      HealthCheckProtocol: this.HealthCheckProtocol,
      HealthChecks: this.HealthChecks,
      ReadinessCheckPath: this.ReadinessCheckPath,
      ServicePort: this.ServicePort,
      ServicePorts: this.ServicePorts,
      Env: this.Env,
      Labels: this.Labels,
      Tasks: this.Tasks,
      AllTasks: this.AllTasks,
      Ports: this.Ports,
      Acl: this.Acl,
      HasService: this.HasService,
      RuleSource: this.RuleSource,
      Balance: this.Balance,
      Mode: this.Mode,
      HttpRouted: this.HttpRouted,
      Sticky: this.Sticky,
      RedirectToHttps: this.RedirectToHttps,
      Hsts: this.Hsts,
    };
  }
}

/**
 * The TemplateApp fields made when read, the class's getters: a template's Handlebars must be
 * allowed to read them (`allowedProtoProperties`), since they are not the object's own properties.
 */
export const COMPUTED_TEMPLATE_APP_FIELDS: readonly string[] = Object.entries(Object.getOwnPropertyDescriptors(LazyTemplateApp.prototype))
  .filter(([, descriptor]) => descriptor.get !== undefined)
  .map(([name]) => name);

/** An app's ports after the first that its labels route (`Ports[n].Acl`); none, without making its ports, for nearly every app. */
export function laterRoutedPorts(app: TemplateApp): readonly TemplatePort[] {
  return LazyTemplateApp.hasLaterPortRoutes(app) ? app.Ports.filter((port) => port.Acl !== "") : NONE;
}

function portsOf(app: App, stem: string, routed: readonly TemplateTask[], served: AppServicePorts, routes: readonly PortRoute[], httpsServed: boolean): TemplatePort[] {
  const routable = app.tasks.filter(isRoutable);
  const count = Math.max(app.ports.length, ...routable.map((task) => task.ports.length), 0);
  const ports: TemplatePort[] = [];
  for (let index = 0; index < count; index++) {
    const check = httpCheckFor(app.healthChecks, index);
    const plan = served.plans.ports[index];
    const listened = plan !== undefined && !served.refused.has(index);
    const route = index === 0 ? undefined : routes.find((candidate) => candidate.index === index);
    ports.push({
      Index: index,
      ServicePort: app.ports[index]?.servicePort ?? 0,
      HealthCheckPath: clean(check?.path ?? ""),
      HealthCheckProtocol: check?.protocol ?? "",
      Checked: app.healthChecks.some((candidate) => candidate.port === null && candidate.portIndex === index && CHECKED_PROTOCOLS.has(candidate.protocol)),
      // Port 0's servers are the app's routed tasks (their Port is port 0's): 10,000 apps need not hold each twice.
      Servers:
        index === 0
          ? routed
          : routable.filter((task) => (task.ports[index] ?? 0) > 0).map((task) => ({ Id: clean(task.id), Host: clean(task.host), Port: task.ports[index]! })),
      Mode: plan?.mode ?? (index === 0 ? "http" : "tcp"),
      ModeFrom: plan?.modeFrom ?? "",
      Backend: portBackendName(stem, index),
      Binds: listened && plan.addresses.length > 0 ? plan.addresses.map((address) => `${address}:${plan.port}`) : NONE,
      NotListened: plan === undefined ? "no service-port listeners" : (served.refused.get(index) ?? plan.notListened),
      Balance: plan?.balance ?? "",
      Sticky: plan?.sticky ?? false,
      Acl: route?.acl ?? "",
      RedirectToHttps: httpsServed && (route?.https.redirect ?? false),
      Hsts: route?.https.hsts ?? "",
    });
  }
  return ports;
}

/** The tasks that may receive traffic on port 0: routable, with a port. */
function routedTasks(tasks: readonly Task[]): readonly TemplateTask[] {
  return tasks.filter((task) => isRoutable(task) && (task.ports[0] ?? 0) > 0).map(toTemplateTask);
}

/** Checks HAProxy runs itself on a port's servers: an HTTP request, or a TCP connect. */
const CHECKED_PROTOCOLS = new Set(["HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS", "TCP", "MESOS_TCP"]);

/** The HTTP-like check probing a port index; a check on a fixed `port` probes no index. */
function httpCheckFor(checks: readonly HealthCheck[], portIndex: number): HealthCheck | undefined {
  return checks.find((check) => HTTP_CHECK_PROTOCOLS.has(check.protocol) && check.port === null && check.portIndex === portIndex);
}

function toTemplateTask(task: Task): TemplateTask {
  return {
    Id: clean(task.id),
    Host: clean(task.host),
    Port: task.ports[0] ?? 0,
    Ports: task.ports,
    Alive: task.alive,
    State: clean(task.state),
    Ready: task.ready,
  };
}

/**
 * The positions whose rule differs from `before`'s, when both list the same apps in the same
 * order; null when the apps differ, or so many rules do that ranking them all is cheaper.
 */
function changedRules(apps: readonly TemplateApp[], before: readonly TemplateApp[]): number[] | null {
  if (apps.length !== before.length) return null;
  const changed: number[] = [];
  for (let i = 0; i < apps.length; i++) {
    const [now, was] = [apps[i]!, before[i]!];
    if (now === was) continue;
    if (now.Id !== was.Id) return null;
    if ((now.Acl !== was.Acl || now.HttpRouted !== was.HttpRouted) && changed.push(i) > MAX_IN_PLACE_CHANGES) return null;
  }
  return changed;
}

function toTemplateService(service: Service): TemplateService {
  return { Id: clean(service.id), Acl: clean(service.acl), Config: cleanMap(service.config) };
}

/**
 * What changed between two id-sorted lists: services new or with other content, and ids
 * gone; `added` when an id is new. Null when more changed than an update in place is worth.
 */
function serviceChanges(before: readonly Service[], after: readonly Service[]): { upserted: Service[]; removed: string[]; added: boolean } | null {
  const upserted: Service[] = [];
  const removed: string[] = [];
  let added = false;
  let i = 0;
  for (const service of after) {
    while (i < before.length && before[i]!.id < service.id) removed.push(before[i++]!.id);
    if (i < before.length && before[i]!.id === service.id) {
      if (!sameService(before[i]!, service)) upserted.push(service);
      i++;
    } else {
      upserted.push(service);
      added = true;
    }
    if (upserted.length + removed.length > MAX_IN_PLACE_CHANGES) return null;
  }
  while (i < before.length) removed.push(before[i++]!.id);
  return upserted.length + removed.length > MAX_IN_PLACE_CHANGES ? null : { upserted, removed, added };
}

/** More changed services than this and the template data is built anew, not updated service by service. */
const MAX_IN_PLACE_CHANGES = 256;

/** `items` in id order: the list itself when it is sorted already, as the stores and the reconciler keep theirs. */
function sortedById<T extends { readonly id: string }>(items: readonly T[]): readonly T[] {
  return isSortedById(items) ? items : [...items].sort((a, b) => compare(a.id, b.id));
}

/** The index of the app with `id` in an id-sorted list, or -1. */
function indexById(apps: readonly TemplateApp[], id: string): number {
  let [low, high] = [0, apps.length - 1];
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = apps[middle]!.Id;
    if (at === id) return middle;
    if (at < id) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
