/**
 * Marathon 1.x's validation rules for an app definition (POST /v2/apps), the ones an
 * operator's file can break: id format, a command or a container, resources, networks,
 * port definitions, health checks, upgrade strategy and constraints. Returns every problem
 * as "<json path>: <what is wrong>", so a test can show all of them at once.
 */
import { validateAppId } from "../support/marathon-sim-ids.ts";

const NETWORK_MODES = ["host", "container", "container/bridge"];
const PORT_PROTOCOLS = ["tcp", "udp", "udp,tcp", "tcp,udp"];
const HEALTH_PROTOCOLS = ["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"];
const PORT_PROTOCOLS_NEEDING_PORT = HEALTH_PROTOCOLS.filter((p) => p !== "COMMAND");
const CONSTRAINT_OPERATORS = ["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"];
const OPERATORS_NEEDING_VALUE = ["LIKE", "UNLIKE", "MAX_PER", "IS"];
/** Marathon's port name rule (a DNS label). */
const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9]+)*$/;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const isNonNegative = (value: unknown) => typeof value === "number" && Number.isFinite(value) && value >= 0;
const isCount = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;

/** Every rule the definition breaks; empty when Marathon would accept it. */
export function marathonAppProblems(app: unknown): string[] {
  if (!isObject(app)) return ["/: an app definition is a JSON object"];
  const problems: string[] = [];
  const add = (path: string, message: string) => problems.push(`${path}: ${message}`);

  const id = validateAppId(app.id);
  if ("error" in id) add("/id", id.error);
  else if (typeof app.id === "string" && !app.id.startsWith("/")) add("/id", "use an absolute id so the file deploys the same from any group");

  const container = app.container;
  if (app.cmd === undefined && app.args === undefined && container === undefined) add("/", "needs 'cmd', 'args' or a 'container'");
  if (container !== undefined) {
    if (!isObject(container) || !["DOCKER", "MESOS"].includes(String(container.type))) add("/container/type", "must be DOCKER or MESOS");
    else if (container.type === "DOCKER" && !(isObject(container.docker) && typeof container.docker.image === "string" && container.docker.image !== ""))
      add("/container/docker/image", "a DOCKER container needs an image");
  }

  for (const field of ["instances"]) if (app[field] !== undefined && !isCount(app[field])) add(`/${field}`, "must be an integer >= 0");
  for (const field of ["cpus", "mem", "disk", "gpus"]) if (app[field] !== undefined && !isNonNegative(app[field])) add(`/${field}`, "must be a number >= 0");

  const networks = app.networks;
  if (networks !== undefined) {
    if (!Array.isArray(networks)) add("/networks", "must be an array");
    else {
      networks.forEach((network, i) => {
        if (!isObject(network) || !NETWORK_MODES.includes(String(network.mode))) add(`/networks/${i}/mode`, `must be one of ${NETWORK_MODES.join(", ")}`);
      });
      if (networks.some((n) => isObject(n) && n.mode === "host") && networks.length > 1) add("/networks", "host networking allows exactly one network");
    }
  }

  const ports = app.portDefinitions;
  let portCount = 0;
  if (ports !== undefined) {
    if (!Array.isArray(ports)) add("/portDefinitions", "must be an array");
    else {
      portCount = ports.length;
      const names = new Set<string>();
      const numbers = new Set<number>();
      ports.forEach((port, i) => {
        const path = `/portDefinitions/${i}`;
        if (!isObject(port)) return add(path, "must be an object");
        if (!Number.isInteger(port.port) || (port.port as number) < 0 || (port.port as number) > 65535) add(`${path}/port`, "must be an integer in 0..65535");
        else if (port.port !== 0) {
          if (numbers.has(port.port as number)) add(`${path}/port`, "ports must be unique");
          numbers.add(port.port as number);
        } else if (app.requirePorts === true) add(`${path}/port`, "requirePorts needs fixed (non-zero) ports");
        if (port.protocol !== undefined && !PORT_PROTOCOLS.includes(String(port.protocol))) add(`${path}/protocol`, "must be tcp, udp or udp,tcp");
        if (port.name !== undefined) {
          if (typeof port.name !== "string" || !PORT_NAME.test(port.name)) add(`${path}/name`, `must match ${PORT_NAME.source}`);
          else if (names.has(port.name)) add(`${path}/name`, "port names must be unique");
          else names.add(port.name);
        }
      });
    }
  }

  const checks = app.healthChecks;
  if (checks !== undefined) {
    if (!Array.isArray(checks)) add("/healthChecks", "must be an array");
    else
      checks.forEach((check, i) => {
        const path = `/healthChecks/${i}`;
        if (!isObject(check)) return add(path, "must be an object");
        const protocol = String(check.protocol ?? "HTTP");
        if (!HEALTH_PROTOCOLS.includes(protocol)) add(`${path}/protocol`, `must be one of ${HEALTH_PROTOCOLS.join(", ")}`);
        if (check.port !== undefined && check.portIndex !== undefined) add(path, "give 'port' or 'portIndex', not both");
        if (PORT_PROTOCOLS_NEEDING_PORT.includes(protocol) && check.port === undefined) {
          const index = check.portIndex ?? 0;
          if (!isCount(index) || (index as number) >= portCount) add(`${path}/portIndex`, `must index one of the ${portCount} port definitions`);
        }
        if (check.path !== undefined && (typeof check.path !== "string" || !check.path.startsWith("/"))) add(`${path}/path`, "must start with /");
        for (const field of ["gracePeriodSeconds", "maxConsecutiveFailures", "delaySeconds"])
          if (check[field] !== undefined && !isCount(check[field])) add(`${path}/${field}`, "must be an integer >= 0");
        for (const field of ["intervalSeconds", "timeoutSeconds"])
          if (check[field] !== undefined && !(Number.isInteger(check[field]) && (check[field] as number) > 0)) add(`${path}/${field}`, "must be an integer > 0");
        if (typeof check.timeoutSeconds === "number" && typeof check.intervalSeconds === "number" && check.timeoutSeconds >= check.intervalSeconds)
          add(`${path}/timeoutSeconds`, "must be shorter than intervalSeconds");
      });
  }

  const readiness = app.readinessChecks;
  if (readiness !== undefined) {
    const portNames = new Set(Array.isArray(app.portDefinitions) ? app.portDefinitions.map((port) => (isObject(port) ? port.name : undefined)) : []);
    if (!Array.isArray(readiness)) add("/readinessChecks", "must be an array");
    else if (readiness.length > 1) add("/readinessChecks", "Marathon allows at most one readiness check");
    else
      readiness.forEach((check, i) => {
        const path = `/readinessChecks/${i}`;
        if (!isObject(check)) return add(path, "must be an object");
        if (typeof check.name !== "string" || check.name === "") add(`${path}/name`, "must be a non-empty string");
        if (!["HTTP", "HTTPS"].includes(String(check.protocol ?? "HTTP"))) add(`${path}/protocol`, "must be HTTP or HTTPS");
        if (typeof check.path !== "string" || !check.path.startsWith("/")) add(`${path}/path`, "must start with /");
        if (typeof check.portName !== "string" || !portNames.has(check.portName)) add(`${path}/portName`, "must name one of the port definitions");
        if (!(Number.isInteger(check.intervalSeconds) && (check.intervalSeconds as number) > 0)) add(`${path}/intervalSeconds`, "must be an integer > 0");
        if (!(Number.isInteger(check.timeoutSeconds) && (check.timeoutSeconds as number) > 0)) add(`${path}/timeoutSeconds`, "must be an integer > 0");
        else if (typeof check.intervalSeconds === "number" && (check.timeoutSeconds as number) >= check.intervalSeconds) add(`${path}/timeoutSeconds`, "must be shorter than intervalSeconds");
        const codes = check.httpStatusCodesForReady;
        if (codes !== undefined && !(Array.isArray(codes) && codes.length > 0 && codes.every((code) => Number.isInteger(code) && code >= 100 && code <= 599)))
          add(`${path}/httpStatusCodesForReady`, "must be a non-empty list of HTTP status codes");
      });
  }

  const upgrade = app.upgradeStrategy;
  if (upgrade !== undefined) {
    if (!isObject(upgrade)) add("/upgradeStrategy", "must be an object");
    else
      for (const field of ["minimumHealthCapacity", "maximumOverCapacity"]) {
        const value = upgrade[field];
        if (value !== undefined && !(typeof value === "number" && value >= 0 && value <= 1)) add(`/upgradeStrategy/${field}`, "must be a number in [0, 1]");
      }
  }

  const constraints = app.constraints;
  if (constraints !== undefined) {
    if (!Array.isArray(constraints)) add("/constraints", "must be an array");
    else
      constraints.forEach((constraint, i) => {
        const path = `/constraints/${i}`;
        if (!Array.isArray(constraint) || constraint.length < 2 || constraint.length > 3 || !constraint.every((part) => typeof part === "string"))
          return add(path, "must be [field, operator] or [field, operator, value] of strings");
        const [field, operator, value] = constraint as string[];
        if (field === "") add(path, "field must not be empty");
        if (!CONSTRAINT_OPERATORS.includes(operator!)) add(path, `operator must be one of ${CONSTRAINT_OPERATORS.join(", ")}`);
        else if (OPERATORS_NEEDING_VALUE.includes(operator!) && value === undefined) add(path, `${operator} needs a value`);
        else if (operator === "UNIQUE" && value !== undefined) add(path, "UNIQUE takes no value");
      });
  }

  if (app.env !== undefined) {
    if (!isObject(app.env)) add("/env", "must be an object");
    else for (const [key, value] of Object.entries(app.env)) if (typeof value !== "string" && !isObject(value)) add(`/env/${key}`, "must be a string (or a secret reference)");
  }
  if (app.taskKillGracePeriodSeconds !== undefined && !isCount(app.taskKillGracePeriodSeconds)) add("/taskKillGracePeriodSeconds", "must be an integer >= 0");
  return problems;
}
