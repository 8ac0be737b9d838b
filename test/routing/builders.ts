/** Builders for normalised apps and tasks, so a routing test states only what it is about. */
import type { App, AppPort, HealthCheck, Task } from "../../src/marathon/types.ts";
import { SETTINGS } from "../../src/config/settings.ts";
import type { HAProxyTemplateSettings } from "../../src/routing/template-data.ts";

export function task(overrides: Partial<Task> & { id: string }): Task {
  return {
    appId: "/app",
    host: "10.0.0.1",
    ports: [31000],
    state: "TASK_RUNNING",
    alive: true,
    healthKnown: true,
    ready: true,
    startedAt: "2024-05-01T11:00:00.000Z",
    ...overrides,
  };
}

export function httpHealthCheck(overrides: Partial<HealthCheck> = {}): HealthCheck {
  return {
    protocol: "HTTP",
    path: "/health",
    portIndex: 0,
    port: null,
    intervalSeconds: 10,
    timeoutSeconds: 5,
    maxConsecutiveFailures: 3,
    ...overrides,
  };
}

/** Plain TCP ports with these service ports, by index. */
export function servicePorts(...numbers: number[]): AppPort[] {
  return numbers.map((servicePort) => ({ servicePort, protocol: "tcp", name: "", labels: {} }));
}

export function app(overrides: Partial<App> & { id: string }): App {
  return {
    instances: overrides.tasks?.length ?? 0,
    env: {},
    labels: {},
    ports: servicePorts(10000),
    healthChecks: [],
    readinessCheckPath: "",
    tasks: [],
    ...overrides,
  };
}

/** Template settings as a test appliance would have them, for rendering templates. */
export const TEMPLATE_SETTINGS: HAProxyTemplateSettings = {
  HttpBind: "127.0.0.1:8080",
  BindHost: "127.0.0.1",
  StatsSocket: "/run/bamboo/haproxy-stats.sock",
  StatsPageSocket: "/run/bamboo/haproxy-stats-page.sock",
  ServerStateFile: "/run/bamboo/haproxy-server-state",
  MapDir: "/run/bamboo/maps",
  MaxConn: 4096,
  TimeoutConnect: "5s",
  TimeoutClient: "50s",
  TimeoutServer: "50s",
  TimeoutTunnel: "1h",
  HardStopAfter: "30s",
  HttpsBind: "127.0.0.1:8443",
  HttpsPortSuffix: ":8443",
  CertificateDir: "/run/bamboo/haproxy-certs",
  CrtList: "/run/bamboo/haproxy-certs/crt-list",
  DefaultCertificate: "/run/bamboo/haproxy-certs/default.pem",
  TlsMinVersion: "TLSv1.2",
  TlsCiphers: settingDefault("HAPROXY_TLS_CIPHERS"),
  TlsCiphersuites: settingDefault("HAPROXY_TLS_CIPHERSUITES"),
  AccessLog: { Json: true, Target: "stdout", Format: "raw" },
};

function settingDefault(env: string): string {
  return SETTINGS.find((setting) => setting.env === env)!.default;
}
