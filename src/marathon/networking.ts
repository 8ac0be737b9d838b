/**
 * Where a task can be reached, for every networking format Marathon has used:
 * 1.5+ (`networks`, `container.portMappings`, `portDefinitions`) and the older one
 * (`ports`, `container.docker.network`, `container.docker.portMappings`, `ipAddress`).
 */
import { arrayOrNull, isObject, optArray, optObject, optString, ShapeError, stringMap, toPort, type JsonObject } from "./json-read.ts";
import type { AppPort } from "./types.ts";

/**
 * - host: the task shares the agent's network; reach it at agent host + allocated host ports.
 * - bridge: ports are mapped from the agent; reach it at agent host + mapped host ports.
 * - ip-per-task: the task has its own IP; reach it at that IP + container ports.
 */
export type NetworkMode = "host" | "bridge" | "ip-per-task";

/** How an app's ports are laid out, worked out once per app. */
export interface PortLayout {
  readonly mode: NetworkMode;
  /** By port index. */
  readonly ports: readonly AppPort[];
  /** By port index; used as backend ports only in ip-per-task mode. */
  readonly containerPorts: readonly number[];
}

/** Backend address of one task. */
export interface TaskAddress {
  readonly host: string;
  readonly ports: readonly number[];
}

/** Decides the networking mode of an app definition. */
export function networkModeOf(app: JsonObject): NetworkMode {
  const networks = optArray(app, "networks", "app");
  // Marathon 1.5+ rejects mixing network modes, so the first entry speaks for all.
  const first = networks[0];
  if (isObject(first)) {
    const mode = optString(first, "mode", "container", "app.networks[0]");
    if (mode === "host") return "host";
    if (mode === "container/bridge") return "bridge";
    if (mode === "container") return "ip-per-task";
    throw new ShapeError(`app.networks[0].mode '${mode}' is not host, container/bridge or container`);
  }
  const docker = dockerOf(app);
  const network = docker === null ? "" : optString(docker, "network", "", "app.container.docker").toUpperCase();
  if (network === "BRIDGE") return "bridge";
  if (network === "USER") return "ip-per-task";
  if (network === "HOST") return "host";
  // Before 1.5, IP-per-task was requested with a top-level ipAddress object.
  if (optObject(app, "ipAddress", "app") !== null) return "ip-per-task";
  return "host";
}

/** Works out the mode and the ports by index of an app definition. */
export function portLayoutOf(app: JsonObject): PortLayout {
  const mode = networkModeOf(app);
  const declared = declaredPorts(app);
  const mappings = portMappingsOf(app);
  if (mode === "host") return { mode, ports: declared, containerPorts: [] };
  if (mappings !== null) {
    const ports = mappings.map(({ port }, i) =>
      // Older Marathon mirrored the service ports into `ports`; use them when a mapping has none.
      port.servicePort > 0 || declared[i] === undefined ? port : { ...port, servicePort: declared[i].servicePort },
    );
    return { mode, ports, containerPorts: mappings.map((m) => m.containerPort) };
  }
  if (mode === "ip-per-task") {
    const discovery = discoveryPorts(app);
    return { mode, ports: discovery.map((d) => d.port), containerPorts: discovery.map((d) => d.containerPort) };
  }
  // Bridge without mappings exposes nothing routable; report it as no ports rather than guess.
  return { mode, ports: [], containerPorts: [] };
}

/** Backend address of a task under the app's layout. */
export function taskAddressOf(layout: PortLayout, task: JsonObject, where: string): TaskAddress {
  const agentHost = optString(task, "host", "", where);
  const hostPorts = optArray(task, "ports", where).map((p, i) => toPort(p, `${where}.ports[${i}]`));
  if (layout.mode !== "ip-per-task") return { host: agentHost, ports: hostPorts };
  const ipAddresses = optArray(task, "ipAddresses", where);
  const first = ipAddresses[0];
  const ip = isObject(first) ? optString(first, "ipAddress", "", `${where}.ipAddresses[0]`) : "";
  // A container port 0 means Marathon picked a host port instead; only the agent address reaches it.
  if (layout.containerPorts.includes(0)) return { host: agentHost, ports: hostPorts };
  // No IP yet (task still starting): no address, so nothing can route to it.
  if (ip === "") return { host: agentHost, ports: [] };
  return { host: ip, ports: layout.containerPorts };
}

function dockerOf(app: JsonObject): JsonObject | null {
  const container = optObject(app, "container", "app");
  return container === null ? null : optObject(container, "docker", "app.container");
}

/** Ports declared outside mappings: `portDefinitions` (1.x) or `ports` (older). */
function declaredPorts(app: JsonObject): AppPort[] {
  const definitions = arrayOrNull(app, "portDefinitions", "app");
  if (definitions !== null && definitions.length > 0) {
    return definitions.map((d, i) => {
      const where = `app.portDefinitions[${i}]`;
      if (!isObject(d)) throw new ShapeError(`${where} should be an object`);
      return portOf(d, toPort(d.port ?? 0, `${where}.port`), where);
    });
  }
  return optArray(app, "ports", "app").map((p, i) => plainPort(toPort(p, `app.ports[${i}]`)));
}

/**
 * One port's description, shared by the shapes that carry it (`portDefinitions`,
 * `portMappings`, `discovery.ports`): protocol lower-cased, "tcp" when not given.
 */
function portOf(raw: JsonObject, servicePort: number, where: string): AppPort {
  const protocol = optString(raw, "protocol", "tcp", where).toLowerCase();
  const name = optString(raw, "name", "", where);
  const labels = stringMap(raw, "labels", where);
  if (protocol === "tcp" && name === "" && Object.keys(labels).length === 0) return plainPort(servicePort);
  return { servicePort, protocol, name, labels };
}

/** A port with nothing but its number, as most are: every one shares the same empty labels. */
function plainPort(servicePort: number): AppPort {
  return { servicePort, protocol: "tcp", name: "", labels: NO_LABELS };
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

interface Mapping {
  readonly containerPort: number;
  readonly port: AppPort;
}

/** `container.portMappings` (1.5+) or `container.docker.portMappings` (older); null when neither exists. */
function portMappingsOf(app: JsonObject): Mapping[] | null {
  const container = optObject(app, "container", "app");
  if (container === null) return null;
  let raw = arrayOrNull(container, "portMappings", "app.container");
  let where = "app.container.portMappings";
  if (raw === null) {
    const docker = optObject(container, "docker", "app.container");
    raw = docker === null ? null : arrayOrNull(docker, "portMappings", "app.container.docker");
    where = "app.container.docker.portMappings";
  }
  if (raw === null) return null;
  return raw.map((m, i) => {
    if (!isObject(m)) throw new ShapeError(`${where}[${i}] should be an object`);
    return {
      containerPort: toPort(m.containerPort ?? 0, `${where}[${i}].containerPort`),
      port: portOf(m, toPort(m.servicePort ?? 0, `${where}[${i}].servicePort`), `${where}[${i}]`),
    };
  });
}

/** Pre-1.5 IP-per-task ports: `ipAddress.discovery.ports[].number`; they have no service port. */
function discoveryPorts(app: JsonObject): Mapping[] {
  const ipAddress = optObject(app, "ipAddress", "app");
  const discovery = ipAddress === null ? null : optObject(ipAddress, "discovery", "app.ipAddress");
  if (discovery === null) return [];
  return optArray(discovery, "ports", "app.ipAddress.discovery").map((p, i) => {
    const where = `app.ipAddress.discovery.ports[${i}]`;
    if (!isObject(p)) throw new ShapeError(`${where} should be an object`);
    return { containerPort: toPort(p.number, `${where}.number`), port: portOf(p, 0, where) };
  });
}
