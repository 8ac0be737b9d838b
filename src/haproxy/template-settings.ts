import type { Config } from "../config/config.ts";
import type { RuntimePaths } from "../config/paths.ts";
import type { HAProxyTemplateSettings, TemplateAccessLog } from "../routing/template-data.ts";

/**
 * The machine's hard open-file limit here is 20,000 and HAProxy needs about two
 * descriptors per connection: a larger maxconn makes HAProxy refuse to start.
 */
const MAX_CONN = 4096;

/** What the template needs to know of bamboo's settings and paths, in HAProxy's syntax. */
export function templateSettings(config: Config, paths: RuntimePaths): HAProxyTemplateSettings {
  const { haproxy } = config;
  return {
    // HAProxy takes the last colon as the port separator, so IPv6 hosts need no brackets.
    HttpBind: `${haproxy.httpBind.host}:${haproxy.httpBind.port}`,
    BindHost: haproxy.httpBind.host,
    StatsSocket: paths.statsSocket,
    StatsPageSocket: paths.statsPageSocket,
    ServerStateFile: paths.serverStateFile,
    MapDir: paths.mapDir,
    MaxConn: MAX_CONN,
    TimeoutConnect: haproxyTime(haproxy.timeoutConnectMs),
    TimeoutClient: haproxyTime(haproxy.timeoutClientMs),
    TimeoutServer: haproxyTime(haproxy.timeoutServerMs),
    TimeoutTunnel: haproxyTime(haproxy.timeoutTunnelMs),
    HardStopAfter: haproxyTime(haproxy.hardStopAfterMs),
    HttpsBind: `${haproxy.httpsBind.host}:${haproxy.httpsBind.port}`,
    HttpsPortSuffix: haproxy.httpsBind.port === 443 ? "" : `:${haproxy.httpsBind.port}`,
    CertificateDir: paths.haproxyCertDir,
    CrtList: paths.crtList,
    DefaultCertificate: paths.defaultCertificate,
    TlsMinVersion: haproxy.tls.minVersion,
    TlsCiphers: haproxy.tls.ciphers,
    TlsCiphersuites: haproxy.tls.ciphersuites,
    AccessLog: accessLogOf(haproxy.accessLog),
  };
}

function accessLogOf(accessLog: Config["haproxy"]["accessLog"]): TemplateAccessLog | null {
  if (accessLog.format === "off") return null;
  const syslog = accessLog.target.kind === "syslog";
  return { Json: accessLog.format === "json", Target: accessLog.target.kind === "syslog" ? accessLog.target.address : "stdout", Format: syslog ? "rfc5424" : "raw" };
}

/** HAProxy's time format; whole seconds read better in the generated file. */
export function haproxyTime(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
