import { isIP } from "node:net";
import type { AccessLogTarget, Config } from "./config.ts";
import {
  parseBind,
  parseBool,
  parseDuration,
  parseOptionalDuration,
  parsePercent,
  parseSize,
  parseString,
  parseUrls,
  splitList,
  type BindAddress,
  type Parsed,
} from "./parse.ts";
import { RETIRED_SETTINGS, SETTINGS, type Setting, type SettingEnv, type SettingKind } from "./settings.ts";

/** Every invalid setting at once, so a user fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

export interface ConfigSources {
  /** Process environment; a variable applies when non-empty, as in Bamboo. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON of the config file, if one was given. */
  readonly file?: unknown;
  /** Name of the config file, for messages. */
  readonly fileName?: string;
  /** Command-line flags that override a setting, keyed by environment name. */
  readonly flags?: Partial<Record<SettingEnv, string>>;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Settings given but no longer applicable, and unknown file keys. */
  readonly warnings: readonly string[];
}

/** Defaults ← JSON file ← environment ← flags, validated into one frozen {@link Config}. */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const fileName = sources.fileName ?? "config file";
  const fileValues = flattenFile(sources.file, fileName, problems);
  const knownFileKeys = new Set<string>();
  const values = new Map<SettingEnv, unknown>();

  for (const setting of SETTINGS) {
    knownFileKeys.add(setting.file.toLowerCase());
    const fromFlag = sources.flags?.[setting.env];
    const fromEnv = sources.env[setting.env];
    const fromFile = fileValues.get(setting.file.toLowerCase());
    let raw: string = setting.default;
    let origin = "default";
    if (fromFile !== undefined) {
      const text = fileValueToText(fromFile);
      if (text === undefined) {
        problems.push(`${setting.file} in ${fileName}: expected a string, number or boolean`);
        continue;
      }
      raw = text;
      origin = `${setting.file} in ${fileName}`;
    }
    if (fromEnv !== undefined && fromEnv !== "") {
      raw = fromEnv;
      origin = setting.env;
    }
    if (fromFlag !== undefined) {
      raw = fromFlag;
      origin = `flag for ${setting.env}`;
    }
    const parsed = parseSetting(setting, raw);
    if (parsed.ok) values.set(setting.env, parsed.value);
    else problems.push(`${origin === "default" ? setting.env : origin}='${raw}': expected ${parsed.expected}`);
  }

  const target = values.get("HAPROXY_ACCESS_LOG_TARGET");
  if (typeof target === "string" && accessLogTarget(target) === null) {
    problems.push(`HAPROXY_ACCESS_LOG_TARGET='${target}': expected stdout, an absolute file path, udp://host:port or unix:///path`);
  }

  for (const retired of RETIRED_SETTINGS) {
    knownFileKeys.add(retired.file.toLowerCase());
    const inEnv = retired.env !== "" && sources.env[retired.env];
    const inFile = fileValues.has(retired.file.toLowerCase());
    if (inEnv) warnings.push(`${retired.env} is ignored: ${retired.why}`);
    if (inFile) warnings.push(`${retired.file} in ${fileName} is ignored: ${retired.why}`);
  }
  for (const key of fileValues.keys()) {
    if (!knownFileKeys.has(key)) warnings.push(`unknown key '${key}' in ${fileName} is ignored`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const get = <T>(env: SettingEnv) => values.get(env) as T;
  const dataDir = get<string>("BAMBOO_DATA_DIR");
  const config: Config = {
    marathon: {
      endpoints: get("MARATHON_ENDPOINT"),
      user: get("MARATHON_USER"),
      password: get("MARATHON_PASSWORD"),
      authToken: get("MARATHON_AUTH_TOKEN"),
      caCertPath: get("MARATHON_CA_CERT"),
      useEventStream: get("MARATHON_USE_EVENT_STREAM"),
      streamTimeoutMs: get("MARATHON_STREAM_TIMEOUT"),
      resyncIntervalMs: get("MARATHON_RESYNC_INTERVAL"),
      requestTimeoutMs: get("MARATHON_REQUEST_TIMEOUT"),
      maxResponseBytes: get("MARATHON_MAX_RESPONSE_SIZE"),
      maxEventBytes: get("MARATHON_MAX_EVENT_SIZE"),
      confirmShrinkAbove: get("MARATHON_CONFIRM_SHRINK"),
    },
    bamboo: {
      endpoint: get("BAMBOO_ENDPOINT"),
      bind: get("BAMBOO_BIND"),
      dataDir,
      drainPeriodMs: get("BAMBOO_DRAIN_PERIOD"),
      staleUnreadyAfterMs: get("BAMBOO_STALE_UNREADY_AFTER"),
      groups: { groups: get("BAMBOO_GROUPS"), ungrouped: get("BAMBOO_UNGROUPED_APPS") },
      trafficIntervalMs: get("BAMBOO_TRAFFIC_INTERVAL"),
      apiUser: get("BAMBOO_API_USER"),
      apiPassword: get("BAMBOO_API_PASSWORD"),
      apiAuth: get("BAMBOO_API_AUTH"),
      viewerUser: get("BAMBOO_VIEWER_USER"),
      viewerPassword: get("BAMBOO_VIEWER_PASSWORD"),
      readAuth: get("BAMBOO_API_READ_AUTH"),
      metricsAuth: get("BAMBOO_METRICS_AUTH"),
      aclPolicy: get("BAMBOO_ACL_POLICY"),
      certDir: get("BAMBOO_CERT_DIR"),
      defaultCertPath: get("BAMBOO_DEFAULT_CERT"),
      logLevel: get("BAMBOO_LOG_LEVEL"),
      logFormat: get("BAMBOO_LOG_FORMAT"),
    },
    zookeeper: {
      hosts: get("BAMBOO_ZK_HOST"),
      path: get("BAMBOO_ZK_PATH"),
      auth: get("BAMBOO_ZK_AUTH"),
      marathonFanout: get("BAMBOO_MARATHON_FANOUT"),
      sessionTimeoutMs: get("BAMBOO_ZK_SESSION_TIMEOUT"),
    },
    haproxy: {
      bin: get("HAPROXY_BIN"),
      templatePath: get("HAPROXY_TEMPLATE_PATH"),
      outputPath: get<string>("HAPROXY_OUTPUT_PATH") || `${dataDir.replace(/\/+$/, "")}/haproxy.cfg`,
      httpBind: get("HAPROXY_HTTP_BIND"),
      httpsBind: get("HAPROXY_HTTPS_BIND"),
      serviceBind: serviceBindOf(get("HAPROXY_SERVICE_BIND"), get<BindAddress>("HAPROXY_HTTP_BIND")),
      accessLog: { format: get("HAPROXY_ACCESS_LOG"), target: accessLogTarget(get("HAPROXY_ACCESS_LOG_TARGET")) ?? { kind: "stdout" } },
      tls: {
        minVersion: get("HAPROXY_TLS_MIN_VERSION"),
        ciphers: get("HAPROXY_TLS_CIPHERS"),
        ciphersuites: get("HAPROXY_TLS_CIPHERSUITES"),
      },
      timeoutConnectMs: get("HAPROXY_TIMEOUT_CONNECT"),
      timeoutClientMs: get("HAPROXY_TIMEOUT_CLIENT"),
      timeoutServerMs: get("HAPROXY_TIMEOUT_SERVER"),
      timeoutTunnelMs: get("HAPROXY_TIMEOUT_TUNNEL"),
      reloadIntervalMs: get("HAPROXY_RELOAD_INTERVAL"),
      hardStopAfterMs: get("HAPROXY_HARD_STOP_AFTER"),
      statsUser: get("HAPROXY_STATS_USER"),
      statsPassword: get("HAPROXY_STATS_PASSWORD"),
    },
  };
  problems.push(...crossCheck(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: deepFreeze(config), warnings };
}

const PARSERS: Record<Exclude<SettingKind, "choice">, (raw: string) => Parsed<unknown>> = {
  string: parseString,
  urls: parseUrls,
  bool: parseBool,
  duration: parseDuration,
  "optional-duration": parseOptionalDuration,
  size: parseSize,
  percent: parsePercent,
  bind: parseBind,
  list: (raw) => {
    const text = parseString(raw);
    return text.ok ? { ok: true, value: splitList(text.value) } : text;
  },
};

function parseSetting(setting: Setting, raw: string): Parsed<unknown> {
  return setting.kind === "choice" ? parseChoice(raw, setting.choices ?? []) : PARSERS[setting.kind](raw);
}

/** One of a setting's words, matched in any case (`DEBUG` is debug), returned as the table spells it. */
function parseChoice(raw: string, choices: readonly string[]): Parsed<string> {
  const word = choices.find((choice) => choice.toLowerCase() === raw.trim().toLowerCase());
  return word === undefined ? { ok: false, expected: `one of ${choices.join(", ")}` } : { ok: true, value: word };
}

/** Rules that involve more than one setting. */
function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  if (config.zookeeper.path !== "" && !/^\/[^\s]*$/.test(config.zookeeper.path)) {
    problems.push(`BAMBOO_ZK_PATH='${config.zookeeper.path}': expected an absolute ZooKeeper path such as /marathon-haproxy/state`);
  }
  if (config.zookeeper.auth !== "" && !config.zookeeper.auth.includes(":")) {
    problems.push("BAMBOO_ZK_AUTH: expected 'user:password'");
  }
  const session = config.zookeeper.sessionTimeoutMs;
  if (session < 2_000 || session > 60_000) problems.push(`BAMBOO_ZK_SESSION_TIMEOUT=${session / 1000}s: expected 2s to 60s (ZooKeeper narrows it further to 2 to 20 of its ticks)`);
  if (config.marathon.user !== "" && config.marathon.password === "") {
    problems.push("MARATHON_USER is set but MARATHON_PASSWORD is empty: set both for basic auth");
  }
  if (config.bamboo.viewerUser === config.bamboo.apiUser) {
    problems.push(`BAMBOO_VIEWER_USER='${config.bamboo.viewerUser}' is also BAMBOO_API_USER: give the read-only viewer a name of its own`);
  }
  if (config.bamboo.dataDir === "") problems.push("BAMBOO_DATA_DIR: expected a directory path");
  if (config.haproxy.bin === "") problems.push("HAPROXY_BIN: expected the path or name of the haproxy executable");
  if (config.haproxy.tls.minVersion !== "TLSv1.2" && config.haproxy.tls.minVersion !== "TLSv1.3") {
    problems.push(`HAPROXY_TLS_MIN_VERSION='${config.haproxy.tls.minVersion}': expected TLSv1.2 or TLSv1.3 (older versions are broken)`);
  }
  // The cipher lists reach HAProxy's config as one word each.
  for (const [name, value] of [["HAPROXY_TLS_CIPHERS", config.haproxy.tls.ciphers], ["HAPROXY_TLS_CIPHERSUITES", config.haproxy.tls.ciphersuites]] as const) {
    if (!/^[A-Za-z0-9_+!:.@=-]+$/.test(value)) problems.push(`${name}='${value}': expected an OpenSSL cipher list such as ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384`);
  }
  for (const group of config.bamboo.groups.groups) {
    if (group !== "*" && !/^[A-Za-z0-9_.-]+$/.test(group)) problems.push(`BAMBOO_GROUPS: '${group}' is not a group name: letters, digits, '_', '.' and '-', or * for every app`);
  }
  const traffic = config.bamboo.trafficIntervalMs;
  if (traffic !== null && (traffic < TRAFFIC_INTERVAL_MS.min || traffic > TRAFFIC_INTERVAL_MS.max)) {
    problems.push(`BAMBOO_TRAFFIC_INTERVAL=${traffic}ms: expected 100ms to 60s, or off (15 minutes of samples are kept for each busy app)`);
  }
  for (const address of config.haproxy.serviceBind.off ? [] : config.haproxy.serviceBind.addresses) {
    if (address !== "" && isIP(address) === 0) problems.push(`HAPROXY_SERVICE_BIND: '${address}' is not an IP address: expected IPs, * for every address, or off`);
  }
  const [http, https] = [config.haproxy.httpBind, config.haproxy.httpsBind];
  if (http.port === https.port && (http.host === https.host || http.host === "" || https.host === "")) {
    problems.push(`HAPROXY_HTTPS_BIND='${https.host}:${https.port}' is where HAPROXY_HTTP_BIND listens: give HTTPS a port of its own`);
  }
  return problems;
}

/** HAPROXY_SERVICE_BIND read: `off`, `*` for every address, or addresses; empty follows the HTTP bind. */
function serviceBindOf(list: readonly string[], httpBind: BindAddress): Config["haproxy"]["serviceBind"] {
  if (list.length === 1 && list[0]!.toLowerCase() === "off") return { off: true };
  if (list.length === 0) return { off: false, addresses: [httpBind.host] };
  return { off: false, addresses: [...new Set(list.map((address) => (address === "*" ? "" : address)))] };
}

/** Shorter would keep more than 9,000 points per busy app; longer would leave 15 minutes of charts nearly empty. */
const TRAFFIC_INTERVAL_MS = { min: 100, max: 60_000 };

/** HAPROXY_ACCESS_LOG_TARGET read, or null when it is none of the forms. */
export function accessLogTarget(raw: string): AccessLogTarget | null {
  if (raw === "stdout") return { kind: "stdout" };
  const udp = /^udp:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(raw);
  if (udp && Number(udp[2]) >= 1 && Number(udp[2]) <= 65535) return { kind: "syslog", address: `${udp[1]!.replace(/^\[|\]$/g, "")}:${udp[2]}` };
  const unix = /^unix:\/\/(\/[^\s]+)$/.exec(raw);
  if (unix) return { kind: "syslog", address: unix[1]! };
  if (/^\/[^\s]*[^/\s]$/.test(raw)) return { kind: "file", path: raw };
  return null;
}

/** Flattens `{"Marathon":{"Endpoint":..}}` into lower-cased dotted keys, as Bamboo matches them. */
function flattenFile(file: unknown, fileName: string, problems: string[]): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  if (file === undefined) return flat;
  if (!isPlainObject(file)) {
    problems.push(`${fileName}: expected a JSON object at the top level`);
    return flat;
  }
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix === "" ? key.toLowerCase() : `${prefix}.${key.toLowerCase()}`;
      if (isPlainObject(value)) walk(value, path);
      else flat.set(path, value);
    }
  };
  walk(file, "");
  return flat;
}

function fileValueToText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
