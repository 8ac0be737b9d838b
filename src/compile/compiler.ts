import type { AclVerdict } from "../haproxy/acl-check.ts";
import type { ServedTls } from "../haproxy/certificate-plan.ts";
import type { MapFile } from "../haproxy/map-files.ts";
import { poolFdRatios } from "../haproxy/fd-ratios.ts";
import { slotConfig, type SlottedConfig } from "../haproxy/slots.ts";
import type { RenderConfig } from "../haproxy/template.ts";
import type { App } from "../marathon/types.ts";
import { DEFAULT_POLICY, memoByText, ruleParser, storedRuleKeyProblem, type AclPolicy, type RuleParser } from "../routing/acl/index.ts";
import { AppGroupSorter, SERVE_EVERY_APP, type GroupFilter } from "../routing/app-groups.ts";
import { AppSettingsChecker } from "../routing/app-settings.ts";
import { NO_SERVICE_PORT_LISTENERS, TemplateDataBuilder, type HAProxyTemplateSettings, type ServicePortsInput, type TemplateData, type TemplateMap } from "../routing/template-data.ts";
import type { Service } from "../store/types.ts";
import type { NamedCertificate } from "../tls/certificate.ts";
import { AgentAddresses, type HostAnswer } from "./agent-addresses.ts";
import { LabelServices } from "./label-services.ts";
import type { RoutingProblem } from "./problems.ts";
import { SectionInstances } from "./section-instances.ts";
import { ServicePortPlanner, type ServicePortOptions, type ServicePortsPlan } from "./service-port-plans.ts";
import { usableServices, type UsableServices } from "./usable-rules.ts";

/** What compiling needs from the world outside: asked for beforehand, so compiling stays pure. */
export interface OutsideAnswers {
  /** DNS's answer for every agent host name of the apps (agentHostNames). */
  readonly hosts: ReadonlyMap<string, HostAnswer>;
  /** HAProxy's verdict on every stored rule, by the rule's text. */
  readonly rules: ReadonlyMap<string, AclVerdict>;
}

export interface CompileInput {
  readonly apps: readonly App[];
  readonly services: readonly Service[];
  /** None: a config without HTTPS, as `render` and `check` show it. */
  readonly certificates?: readonly NamedCertificate[];
  readonly answers: OutsideAnswers;
  /** Service ports not to listen on, with why: HAProxy could not bind them (see sync/pipeline.ts). */
  readonly unbindable?: ReadonlyMap<number, string>;
  /** Apps to leave out, with why: HAProxy refused the config with them (see sync/pipeline.ts). */
  readonly leaveOut?: ReadonlyMap<string, string>;
  /** The config HAProxy runs, whose servers keep their slots; null for a fresh config. */
  readonly previous: SlottedConfig | null;
}

/** Everything HAProxy is to run, what the template saw, and what is not routed as written. */
export interface Compiled {
  readonly config: SlottedConfig;
  /** The map files the config names; they must be on disk before HAProxy loads it. */
  readonly maps: readonly MapFile[];
  /** The certificates HTTPS serves; on disk before HAProxy loads the config, like the maps. */
  readonly tls: ServedTls;
  readonly data: TemplateData;
  readonly problems: readonly RoutingProblem[];
  /** Apps left to instances of other groups (BAMBOO_GROUPS), by id. */
  readonly elsewhere: readonly string[];
  /** The apps' service ports the config listens on. */
  readonly servicePorts: ReadonlySet<number>;
}

/**
 * Snapshot → HAProxy's config: stored rules HAProxy rejects fall back to the default rule,
 * agents' names become addresses, app settings that would break the config are dropped, the
 * template renders, servers get their slots. The one path from apps and rules to a config,
 * for serve, `render` and `check` alike.
 *
 * Pure apart from the answers it is given, but not stateless: what did not change since the
 * last compile keeps its objects, which is how a task event among 10,000 apps renders one
 * app (template-memo.ts) and slots one section (slots.ts). So one compiler per owner of a
 * lifetime: the pipeline for the process, a command for its run.
 */
const NO_CERTIFICATES: readonly NamedCertificate[] = [];
const NOTHING_UNBINDABLE: ReadonlyMap<number, string> = new Map();
const NO_PORTS: ReadonlySet<number> = new Set();
const NO_FILES: readonly MapFile[] = [];
const NO_APPS: ReadonlyMap<string, string> = new Map();

/** A rule of an app the shared HTTP frontend does not route (port 0 TCP or disabled) is said, not silently dropped. */
function unroutedRules(services: readonly Service[], offFrontend: ReadonlyMap<string, string>): readonly RoutingProblem[] {
  // Nearly always none: a task event must not walk 10,000 rules to find that out.
  if (offFrontend.size === 0) return [];
  return services.filter((service) => service.acl !== "" && offFrontend.has(service.id)).map((service) => ({ id: service.id, message: `rule ${service.acl} not routed on the HTTP frontend: ${offFrontend.get(service.id)}` }));
}

/** What an installation decides beyond the template's settings. */
export interface CompileOptions {
  /** Which apps this instance serves (BAMBOO_GROUPS); every app when left out. */
  readonly groups?: GroupFilter;
  /** What rules may match on (BAMBOO_ACL_POLICY): rules from labels pass it as the API's do. */
  readonly policy?: AclPolicy;
  /** Where apps' service ports listen (HAPROXY_SERVICE_BIND); no listeners when left out. */
  readonly servicePorts?: ServicePortOptions;
  /** The appliance's rule parser, shared with the API's write checks (acl/memo.ts); one of its own when left out. */
  readonly parseRule?: RuleParser;
}

export class Compiler {
  readonly #groups: AppGroupSorter;
  readonly #labels: LabelServices;
  readonly #addresses = new AgentAddresses();
  readonly #settingsChecker = new AppSettingsChecker();
  readonly #templateData: TemplateDataBuilder;
  readonly #instances = new SectionInstances();
  readonly #servicePorts: ServicePortPlanner | null;
  /** The template's input made from the last service-port plan, kept while the plan is. */
  #portsInput: { readonly of: ServicePortsPlan; readonly input: ServicePortsInput; readonly files: readonly MapFile[]; readonly listened: ReadonlySet<number> } | null = null;
  /** Every rule is checked again whenever one changes. */
  readonly #keyProblem = memoByText(storedRuleKeyProblem);
  /**
   * The rules last sorted out and the result: the same list with the same verdicts keeps the
   * same usable list, so template-data.ts need not compare 10,000 rules by content per event.
   */
  #usable: { readonly services: readonly Service[]; readonly verdicts: OutsideAnswers["rules"]; readonly result: UsableServices } | null = null;
  /** The template's maps last turned into files: unchanged rules keep their maps, and the applier compares them by identity first. */
  #maps: { readonly of: readonly TemplateMap[]; readonly ports: readonly MapFile[]; readonly files: readonly MapFile[] } | null = null;
  /** The same for the certificates: unchanged ones keep their object, and planning them costs nothing. */
  #tls: { readonly of: TemplateData["Certificates"]; readonly served: ServedTls } | null = null;

  constructor(
    private readonly render: RenderConfig,
    private readonly settings: HAProxyTemplateSettings,
    options: CompileOptions = {},
  ) {
    this.#groups = new AppGroupSorter(options.groups ?? SERVE_EVERY_APP);
    this.#servicePorts = options.servicePorts === undefined || !render.servesServicePorts ? null : new ServicePortPlanner(options.servicePorts, settings.MapDir);
    const parseRule = options.parseRule ?? ruleParser();
    this.#labels = new LabelServices(options.policy ?? DEFAULT_POLICY, this.#servicePorts !== null, parseRule);
    this.#templateData = new TemplateDataBuilder(parseRule);
  }

  compile(input: CompileInput): Compiled {
    const grouped = this.#groups.sort(input.apps);
    const labelled = this.#labels.merge(grouped.served, input.services);
    const rules = this.#usableServices(labelled.services, input.answers.rules);
    const addressed = this.#addresses.apply(grouped.served, input.answers.hosts);
    const checked = this.#settingsChecker.check(addressed.apps);
    const leaveOut = input.leaveOut ?? new Map<string, string>();
    const apps = leaveOut.size === 0 ? checked.apps : checked.apps.filter((app) => !leaveOut.has(app.id));
    const ports = this.#portsOf(apps, input.unbindable ?? NOTHING_UNBINDABLE);
    const data = this.#templateData.build(apps, rules.services, this.settings, input.certificates ?? NO_CERTIFICATES, ports.input, labelled.portRoutes);
    // Slot headroom follows each app's `instances` (haproxy/slots.ts).
    const config = slotConfig(this.render.pieces(data), input.previous, this.#instances.of(apps));
    const leftOut = [...leaveOut].map(([id, why]) => ({ id, message: `app left out: HAProxy refuses the config with it and the others route without it: ${why}` }));
    return {
      config,
      maps: this.#mapFiles(data.Maps, ports.files),
      tls: this.#servedTls(data.Certificates, input.certificates ?? NO_CERTIFICATES),
      data,
      problems: [...this.#ruleProblems(rules.problems, grouped.elsewhere), ...labelled.problems, ...addressed.problems, ...checked.problems, ...ports.problems, ...unroutedRules(rules.services, ports.offFrontend), ...leftOut],
      elsewhere: grouped.elsewhere,
      servicePorts: ports.listened,
    };
  }

  /** The service ports' listeners for the template, and their map files (only those a frontend names). */
  #portsOf(
    apps: readonly App[],
    unbindable: ReadonlyMap<number, string>,
  ): {
    readonly input: ServicePortsInput;
    readonly files: readonly MapFile[];
    readonly listened: ReadonlySet<number>;
    readonly offFrontend: ReadonlyMap<string, string>;
    readonly problems: readonly RoutingProblem[];
  } {
    if (this.#servicePorts === null) return { input: NO_SERVICE_PORT_LISTENERS, files: NO_FILES, listened: NO_PORTS, offFrontend: NO_APPS, problems: [] };
    const plan = this.#servicePorts.plan(apps, unbindable);
    if (this.#portsInput?.of !== plan) {
      const files = [plan.maps.http, plan.maps.tcp].filter((file) => file.entries.length > 0);
      const ratios = plan.sockets > 0 ? poolFdRatios(plan.sockets, this.settings.MaxConn) : { low: 0, high: 0 };
      const frontends = {
        HttpMap: plan.maps.http.entries.length > 0 ? plan.maps.http.path : "",
        TcpMap: plan.maps.tcp.entries.length > 0 ? plan.maps.tcp.path : "",
        HttpBinds: plan.binds.http,
        TcpBinds: plan.binds.tcp,
        Listened: { http: plan.maps.http.entries.length, tcp: plan.maps.tcp.entries.length },
        PoolLowFdRatio: ratios.low,
        PoolHighFdRatio: ratios.high,
      };
      const listened = new Set(files.flatMap((file) => file.entries.map((entry) => Number(entry.key))));
      this.#portsInput = { of: plan, input: { ofApp: plan.ofApp, frontends }, files, listened };
    }
    return { input: this.#portsInput.input, files: this.#portsInput.files, listened: this.#portsInput.listened, offFrontend: plan.offFrontend, problems: plan.problems };
  }

  /** A rule of an app another instance serves is that instance's to report. */
  #ruleProblems(problems: readonly RoutingProblem[], elsewhere: readonly string[]): readonly RoutingProblem[] {
    if (elsewhere.length === 0 || problems.length === 0) return problems;
    const others = new Set(elsewhere);
    return problems.filter((problem) => !others.has(problem.id));
  }

  #mapFiles(maps: readonly TemplateMap[], ports: readonly MapFile[]): readonly MapFile[] {
    if (this.#maps?.of !== maps || this.#maps.ports !== ports) {
      const routes = this.#maps?.of === maps ? this.#maps.files.slice(0, maps.length) : maps.map((map) => ({ path: map.Path, entries: map.Entries.map((entry) => ({ key: entry.Key, value: entry.Value })) }));
      this.#maps = { of: maps, ports, files: [...routes, ...ports] };
    }
    return this.#maps.files;
  }

  #servedTls(listed: TemplateData["Certificates"], certificates: readonly NamedCertificate[]): ServedTls {
    if (this.#tls?.of === listed) return this.#tls.served;
    // The template's list is made from `certificates`, one for one.
    const served = { crtList: this.settings.CrtList, certificates: listed.map((entry, i) => ({ path: entry.Path, pem: certificates[i]!.info.pem, hosts: entry.Hosts })) };
    this.#tls = { of: listed, served };
    return served;
  }

  #usableServices(services: readonly Service[], verdicts: OutsideAnswers["rules"]): UsableServices {
    if (this.#usable?.services === services && this.#usable.verdicts === verdicts) return this.#usable.result;
    const result = usableServices(services, verdicts, this.#keyProblem);
    this.#usable = { services, verdicts, result };
    return result;
  }
}
