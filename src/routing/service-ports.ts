import { isIP } from "node:net";
import type { App } from "../marathon/types.ts";
import { escapedId } from "./ids.ts";
import { BALANCE_ALGORITHMS } from "./lb-labels.ts";
import { NONE, orNone } from "../system/none.ts";

/**
 * Which of an app's ports get a listener on their service port, in which mode, on which
 * addresses: marathon-lb's per-port labels (`HAPROXY_{n}_MODE`, `_PORT`, `_BIND_ADDR`,
 * `_ENABLED`, `_BALANCE`) over what Marathon says of the port. Pure.
 *
 * @module
 */

export type PortMode = "http" | "tcp";

/** Where service ports listen (HAPROXY_SERVICE_BIND): off, or these addresses ("" is every address). */
export type ServiceBind = { readonly off: true } | { readonly off: false; readonly addresses: readonly string[] };

/** One port of an app as this appliance would serve it, before ports of different apps are compared. */
export interface PortPlan {
  readonly index: number;
  /** The port listened on: HAPROXY_{n}_PORT, else Marathon's service port; 0 for none. */
  readonly port: number;
  readonly mode: PortMode;
  /** Why this mode, for the UI and problems: `label HAPROXY_1_MODE`, `port name 'http'`... */
  readonly modeFrom: string;
  /** Addresses bound, "" for every address; empty when the port is not to be listened on. */
  readonly addresses: readonly string[];
  /** Why it is not to be listened on ("no service port", "HAPROXY_1_ENABLED is false"...); "" when it is. */
  readonly notListened: string;
  /** False when HAPROXY_{n}_ENABLED is false: neither listened on nor, for port 0, routed by rules. */
  readonly enabled: boolean;
  /** HAPROXY_{n}_BALANCE, when it names an algorithm without arguments; "" otherwise. */
  readonly balance: string;
  /** HAPROXY_{n}_STICKY: a client keeps its task (a cookie over HTTP, its address over TCP). */
  readonly sticky: boolean;
}

export interface AppPortPlans {
  readonly ports: readonly PortPlan[];
  /** The port of the app's Bamboo-style `BAMBOO_TCP_PORT` listener, which no service port may take; null for none. */
  readonly tcpListener: number | null;
  readonly problems: readonly string[];
}

/** Port names that say HTTP. `https` is not among them: TLS passed through is TCP to HAProxy. */
const HTTP_PORT_NAME = /^(?:http|web|www)(?:[-_.].*)?$/i;

/** Health checks HAProxy would speak HTTP to: the port serves HTTP. */
const HTTP_CHECKS = new Set(["HTTP", "MESOS_HTTP"]);

/**
 * The plan of every port of `app`: the mode from `HAPROXY_{n}_MODE`, else the port's name
 * (`http`, `web`...), else an HTTP health check on it, else a `HAPROXY_{n}_VHOST` or
 * `HAPROXY_{n}_PATH`; port 0
 * is HTTP otherwise, as Bamboo always routed it, every other port TCP, which carries any
 * protocol. A UDP-only port is not served: HAProxy does not proxy UDP.
 */
export function portPlansOf(app: App, bind: ServiceBind): AppPortPlans {
  const problems: string[] = [];
  const ports = app.ports.map((port, index): PortPlan => {
    const label = (name: string): string => (app.labels[`HAPROXY_${index}_${name}`] ?? "").trim();
    const mode = modeOf(app, index, label("MODE"), problems);
    const enabled = flagOf(label("ENABLED"), `HAPROXY_${index}_ENABLED`, true, problems);
    const sticky = flagOf(label("STICKY"), `HAPROXY_${index}_STICKY`, false, problems);
    const portLabel = label("PORT");
    let number = port.servicePort;
    if (portLabel !== "") {
      if (isPort(portLabel)) number = Number(portLabel);
      else problems.push(`label HAPROXY_${index}_PORT='${portLabel}' ignored: expected a port from 1 to 65535`);
    }
    const balance = index === 0 ? "" : balanceOf(label("BALANCE"), index, problems);
    const udpOnly = port.protocol !== "" && !port.protocol.split(",").includes("tcp");
    if (udpOnly && number > 0 && enabled && !bind.off) problems.push(`port ${index} (service port ${number}) is ${port.protocol}: not served, HAProxy proxies TCP only`);
    const notListened =
      number === 0 ? "no service port" : !enabled ? `HAPROXY_${index}_ENABLED is false` : udpOnly ? `${port.protocol} only: HAProxy proxies TCP` : bind.off ? "HAPROXY_SERVICE_BIND is off" : "";
    return { index, port: number, ...mode, addresses: notListened === "" && !bind.off ? addressesOf(label("BIND_ADDR"), index, bind, problems) : NONE, notListened, enabled, balance, sticky };
  });
  const tcpListener = isPort(app.env.BAMBOO_TCP_PORT ?? "") ? Number(app.env.BAMBOO_TCP_PORT) : null;
  // 10,000 apps have nothing to say: one shared empty list instead of 10,000.
  return { ports, tcpListener, problems: orNone(problems) };
}

/** Whether port `index` of `app` is served at all (HAPROXY_{n}_ENABLED); a value that is neither true nor false is skipped (portPlansOf says so). */
export function portEnabledOf(app: App, index: number): boolean {
  return flagOf((app.labels[`HAPROXY_${index}_ENABLED`] ?? "").trim(), `HAPROXY_${index}_ENABLED`, true, []);
}

/** How port `index` of `app` is served, HTTP or TCP, and what decided it; a label that says neither is skipped (portPlansOf says so). */
export function portModeOf(app: App, index: number): Pick<PortPlan, "mode" | "modeFrom"> {
  return modeOf(app, index, (app.labels[`HAPROXY_${index}_MODE`] ?? "").trim(), []);
}

function modeOf(app: App, index: number, label: string, problems: string[]): Pick<PortPlan, "mode" | "modeFrom"> {
  const lower = label.toLowerCase();
  if (lower === "http" || lower === "tcp") return { mode: lower, modeFrom: `label HAPROXY_${index}_MODE` };
  if (label !== "") problems.push(`label HAPROXY_${index}_MODE='${label}' ignored: expected http or tcp`);
  const name = app.ports[index]?.name ?? "";
  if (name === "http") return HTTP_BY_NAME;
  if (HTTP_PORT_NAME.test(name)) return { mode: "http", modeFrom: `port name '${name}'` };
  const check = app.healthChecks.find((candidate) => candidate.port === null && candidate.portIndex === index && HTTP_CHECKS.has(candidate.protocol));
  if (check !== undefined) return { mode: "http", modeFrom: `${check.protocol} health check` };
  // A port routed by host or path on the HTTP frontend speaks HTTP.
  for (const name of ["VHOST", "PATH"]) if ((app.labels[`HAPROXY_${index}_${name}`] ?? "").trim() !== "") return { mode: "http", modeFrom: `label HAPROXY_${index}_${name}` };
  return index === 0 ? HTTP_PORT_ZERO : TCP_BY_DEFAULT;
}

// The usual answers, shared by every app that gets them.
const HTTP_BY_NAME = { mode: "http", modeFrom: "port name 'http'" } as const;
const HTTP_PORT_ZERO = { mode: "http", modeFrom: "port 0" } as const;
const TCP_BY_DEFAULT = { mode: "tcp", modeFrom: "default" } as const;

function flagOf(label: string, name: string, fallback: boolean, problems: string[]): boolean {
  const lower = label.toLowerCase();
  if (lower === "true" || lower === "false") return lower === "true";
  if (lower !== "") problems.push(`label ${name}='${label}' ignored: expected true or false`);
  return fallback;
}

/** `HAPROXY_{n}_BALANCE`, lower-cased, when it names an algorithm without arguments; "" otherwise (said). */
export function balanceOf(label: string, index: number, problems: string[]): string {
  const lower = label.toLowerCase();
  if (lower === "" || BALANCE_ALGORITHMS.includes(lower)) return lower;
  problems.push(`label HAPROXY_${index}_BALANCE='${label}' ignored: expected one of ${BALANCE_ALGORITHMS.join(", ")}`);
  return "";
}

function addressesOf(label: string, index: number, bind: Extract<ServiceBind, { off: false }>, problems: string[]): readonly string[] {
  if (label === "") return bind.addresses;
  const address = label === "*" ? "" : label;
  // HAProxy takes the last colon as the port's, so an IPv6 address needs no brackets.
  if (address === "" || isIP(address) !== 0) return [address];
  problems.push(`label HAPROXY_${index}_BIND_ADDR='${label}' ignored: expected an IPv4 or IPv6 address, or *`);
  return bind.addresses;
}

/** A port number from 1 to 65535, written in digits. */
export function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

/** The backend a port's listener sends to: port 0 shares the app's `-cluster` backend with the rules. */
export function portBackendName(appEscapedId: string, index: number): string {
  return index === 0 ? `${appEscapedId}-cluster` : `${appEscapedId}-cluster-port${index}`;
}

/** A port listened on, and the app port it serves. */
export interface ServedPort {
  readonly port: number;
  readonly appId: string;
  readonly index: number;
  readonly mode: PortMode;
  readonly backend: string;
  /** Where it listens: "" is every address. */
  readonly addresses: readonly string[];
}

/** One app's ports as served: its plans, and which of them another app or bamboo has. */
export interface AppServicePorts {
  readonly plans: AppPortPlans;
  /** Port indexes not listened on, with why; empty for most apps. */
  readonly refused: ReadonlyMap<number, string>;
}

/** An app's ports when service ports are not planned (`render`, a template's check): port 0 routed by rules as HTTP. */
export const NO_SERVICE_PORTS: AppServicePorts = { plans: { ports: [], tcpListener: null, problems: [] }, refused: new Map() };

export interface PortAssignment {
  /** Listened ports in ascending order. */
  readonly served: readonly ServedPort[];
  /** Port indexes of each app whose port is not listened on, with why. */
  readonly refused: ReadonlyMap<string, ReadonlyMap<number, string>>;
  /** Listening sockets of the served ports: one per port and address. */
  readonly sockets: number;
}

/**
 * Gives each port number to one app port. The app first in id order keeps a port two apps
 * ask for (Marathon assigns service ports uniquely, but `HAPROXY_{n}_PORT` and fixed
 * service ports can clash); a port bamboo listens on itself (`reserved`: the HTTP and HTTPS
 * binds, the API; and every app's BAMBOO_TCP_PORT listener) or one that could not be bound (`unbindable`)
 * is refused, and so is every port past `maxSockets` listening sockets (one per port and
 * address: each holds a file descriptor of HAProxy's for good). `apps` come sorted by id.
 */
export function assignServicePorts(
  apps: readonly { readonly id: string; readonly plans: AppPortPlans }[],
  reserved: ReadonlyMap<number, string>,
  unbindable: ReadonlyMap<number, string> = new Map(),
  maxSockets = Number.POSITIVE_INFINITY,
): PortAssignment {
  let sockets = 0;
  const tcpListeners = new Map<number, string>();
  for (const app of apps) {
    const port = app.plans.tcpListener;
    if (port !== null && !tcpListeners.has(port)) tcpListeners.set(port, `${app.id}'s BAMBOO_TCP_PORT listens there`);
  }
  const owners = new Map<number, ServedPort>();
  const refused = new Map<string, Map<number, string>>();
  const refuse = (appId: string, index: number, why: string): void => {
    let ofApp = refused.get(appId);
    if (ofApp === undefined) refused.set(appId, (ofApp = new Map()));
    ofApp.set(index, why);
  };
  for (const app of apps) {
    for (const plan of app.plans.ports) {
      if (plan.addresses.length === 0) continue;
      const owner = owners.get(plan.port);
      const taken = reserved.get(plan.port) ?? tcpListeners.get(plan.port) ?? unbindable.get(plan.port);
      if (taken !== undefined) refuse(app.id, plan.index, `service port ${plan.port} not listened on: ${taken}`);
      else if (owner !== undefined) refuse(app.id, plan.index, `service port ${plan.port} not listened on: ${owner.appId === app.id ? `its port ${owner.index}` : owner.appId} has it`);
      else if (sockets + plan.addresses.length > maxSockets) refuse(app.id, plan.index, `service port ${plan.port} not listened on: bamboo listens on at most ${maxSockets} service-port sockets (one per port and address)`);
      else {
        sockets += plan.addresses.length;
        owners.set(plan.port, { port: plan.port, appId: app.id, index: plan.index, mode: plan.mode, backend: portBackendName(escapedId(app.id), plan.index), addresses: plan.addresses });
      }
    }
  }
  return { served: [...owners.values()].sort((a, b) => a.port - b.port), refused, sockets };
}
