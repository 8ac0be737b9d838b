/**
 * Every setting bamboo understands, in one table: its environment variable, its key in
 * Bamboo's JSON config file, its default and how its value is parsed. `--help` is printed
 * from this table, so the two cannot disagree.
 */

import { LOG_FORMATS } from "../system/log-format.ts";
import { LOG_LEVELS } from "../system/log.ts";

export type SettingKind = "string" | "urls" | "bool" | "duration" | "optional-duration" | "size" | "percent" | "bind" | "list" | "choice";

export interface Setting {
  /** Environment variable; Bamboo's names keep their meaning. */
  readonly env: string;
  /** Dotted key in the JSON config file (matched case-insensitively, as Bamboo does). */
  readonly file: string;
  readonly kind: SettingKind;
  /** Default as the user would type it; "" means unset. */
  readonly default: string;
  readonly help: string;
  /** Shown as "(secret)" in logs and status. */
  readonly secret?: boolean;
  /** The words a `choice` setting accepts (in any case). */
  readonly choices?: readonly string[];
}

export const SETTINGS = [
  { env: "MARATHON_ENDPOINT", file: "Marathon.Endpoint", kind: "urls", default: "http://localhost:8080", help: "Marathon URLs, comma-separated; tried in order" },
  { env: "MARATHON_USER", file: "Marathon.User", kind: "string", default: "", help: "Marathon basic-auth user" },
  { env: "MARATHON_PASSWORD", file: "Marathon.Password", kind: "string", default: "", help: "Marathon basic-auth password", secret: true },
  { env: "MARATHON_AUTH_TOKEN", file: "Marathon.AuthToken", kind: "string", default: "", help: "DC/OS token, sent as 'Authorization: token=...'", secret: true },
  { env: "MARATHON_CA_CERT", file: "Marathon.CaCert", kind: "string", default: "", help: "PEM file of the CA that signed an HTTPS Marathon's certificate" },
  { env: "MARATHON_USE_EVENT_STREAM", file: "Marathon.UseEventStream", kind: "bool", default: "true", help: "follow /v2/events; false registers BAMBOO_ENDPOINT as an HTTP callback" },
  { env: "MARATHON_STREAM_TIMEOUT", file: "Marathon.StreamTimeout", kind: "duration", default: "30s", help: "an event stream silent this long is reopened (Marathon heartbeats every 10s)" },
  { env: "MARATHON_RESYNC_INTERVAL", file: "Marathon.ResyncInterval", kind: "duration", default: "60s", help: "full resync of every app, whatever the events say" },
  { env: "MARATHON_REQUEST_TIMEOUT", file: "Marathon.RequestTimeout", kind: "duration", default: "10s", help: "timeout of each Marathon REST request" },
  { env: "MARATHON_MAX_RESPONSE_SIZE", file: "Marathon.MaxResponseSize", kind: "size", default: "256MiB", help: "a larger answer from Marathon is refused and the last known apps keep routing (20,000 apps with 3 tasks each weigh about 75MiB)" },
  { env: "MARATHON_MAX_EVENT_SIZE", file: "Marathon.MaxEventSize", kind: "size", default: "16MiB", help: "a larger event from Marathon's stream is refused; the stream is reopened and every app refetched" },
  { env: "MARATHON_CONFIRM_SHRINK", file: "Marathon.ConfirmShrink", kind: "percent", default: "50%", help: "an app list that drops more than this share of the known apps, or all of them, is applied only once a second fetch a few seconds later says the same" },
  { env: "BAMBOO_ENDPOINT", file: "Bamboo.Endpoint", kind: "string", default: "http://localhost:8000", help: "this instance's URL, as Marathon reaches it (callback mode)" },
  { env: "BAMBOO_BIND", file: "Bamboo.Bind", kind: "bind", default: ":8000", help: "API and UI listen address (also --bind)" },
  { env: "BAMBOO_DRAIN_PERIOD", file: "Bamboo.DrainPeriod", kind: "duration", default: "5s", help: "on SIGTERM, /status answers 503 this long before HAProxy stops, so load balancers in front move away" },
  { env: "BAMBOO_STALE_UNREADY_AFTER", file: "Bamboo.StaleUnreadyAfter", kind: "optional-duration", default: "off", help: "/status answers 503 once a wanted config has not been applied for this long (off: only when HAProxy serves nothing valid)" },
  { env: "BAMBOO_GROUPS", file: "Bamboo.Groups", kind: "list", default: "", help: "serve only apps whose BAMBOO_GROUP or HAPROXY_GROUP label names one of these groups (comma-separated; * for every app); empty: every app" },
  { env: "BAMBOO_UNGROUPED_APPS", file: "Bamboo.UngroupedApps", kind: "choice", choices: ["skip", "serve"], default: "skip", help: "with BAMBOO_GROUPS set, whether apps that name no group are served: skip (as marathon-lb) or serve" },
  { env: "BAMBOO_TRAFFIC_INTERVAL", file: "Bamboo.TrafficInterval", kind: "optional-duration", default: "5s", help: "how often HAProxy's counters are sampled for the UI's traffic charts and per-app metrics (15 minutes kept in memory); off: not sampled" },
  { env: "BAMBOO_LOG_LEVEL", file: "Bamboo.LogLevel", kind: "choice", choices: LOG_LEVELS, default: "info", help: "lowest level of bamboo's log lines: debug, info, warn or error" },
  { env: "BAMBOO_LOG_FORMAT", file: "Bamboo.LogFormat", kind: "choice", choices: LOG_FORMATS, default: "auto", help: "format of bamboo's log lines: text, json (one object per line) or auto (text on a terminal, json otherwise)" },
  { env: "BAMBOO_DATA_DIR", file: "Bamboo.DataDir", kind: "string", default: "/var/lib/bamboo", help: "file store, generated config, sockets, caches" },
  { env: "BAMBOO_API_USER", file: "Bamboo.Api.User", kind: "string", default: "admin", help: "admin user: reads and writes (with BAMBOO_API_PASSWORD)" },
  { env: "BAMBOO_API_PASSWORD", file: "Bamboo.Api.Password", kind: "string", default: "", help: "admin password; empty: generated at first start into BAMBOO_DATA_DIR/api-password", secret: true },
  { env: "BAMBOO_VIEWER_USER", file: "Bamboo.Api.ViewerUser", kind: "string", default: "viewer", help: "viewer user: reads only (with BAMBOO_VIEWER_PASSWORD)" },
  { env: "BAMBOO_VIEWER_PASSWORD", file: "Bamboo.Api.ViewerPassword", kind: "string", default: "", help: "viewer password; empty: generated at first start into BAMBOO_DATA_DIR/viewer-password", secret: true },
  { env: "BAMBOO_API_AUTH", file: "Bamboo.Api.Auth", kind: "bool", default: "true", help: "false runs the API open to anyone, reads and writes (logged at every start)" },
  { env: "BAMBOO_API_READ_AUTH", file: "Bamboo.Api.ReadAuth", kind: "bool", default: "true", help: "false opens every read to anyone, as Bamboo had them; writes still need the admin user (logged at every start)" },
  { env: "BAMBOO_METRICS_AUTH", file: "Bamboo.Api.MetricsAuth", kind: "bool", default: "true", help: "false opens /metrics and /metrics/haproxy alone to anyone, for a Prometheus scraper (logged at every start)" },
  { env: "BAMBOO_ACL_POLICY", file: "Bamboo.AclPolicy", kind: "string", default: "default", help: "what rules may match on: default (host,path,header), path, host, header, base (host and path together), param, method, src, regex (allows regex matching), all, or fetches like path_beg,hdr(host)" },
  { env: "HAPROXY_STATS_USER", file: "HAProxy.StatsUser", kind: "string", default: "stats", help: "user for the proxied stats page /haproxy_stats" },
  { env: "HAPROXY_STATS_PASSWORD", file: "HAProxy.StatsPassword", kind: "string", default: "", help: "password for /haproxy_stats; empty: generated at first start into BAMBOO_DATA_DIR/stats-password", secret: true },
  { env: "BAMBOO_ZK_HOST", file: "Bamboo.Zookeeper.Host", kind: "list", default: "", help: "ZooKeeper hosts, comma-separated, optional /chroot; empty: file store" },
  { env: "BAMBOO_ZK_PATH", file: "Bamboo.Zookeeper.Path", kind: "string", default: "/marathon-haproxy/state", help: "ZooKeeper node holding one child per service" },
  { env: "BAMBOO_ZK_AUTH", file: "Bamboo.Zookeeper.Auth", kind: "string", default: "", help: "ZooKeeper digest auth 'user:password'", secret: true },
  { env: "BAMBOO_ZK_SESSION_TIMEOUT", file: "Bamboo.Zookeeper.SessionTimeout", kind: "duration", default: "10s", help: "ZooKeeper session timeout (2s-60s; the server may narrow it): how long a leader that died or was cut off keeps the lead" },
  { env: "BAMBOO_MARATHON_FANOUT", file: "Bamboo.Zookeeper.MarathonFanout", kind: "bool", default: "true", help: "with ZooKeeper, one appliance (elected) watches Marathon and publishes the apps there for the others; false: each watches Marathon itself" },
  { env: "HAPROXY_BIN", file: "HAProxy.Bin", kind: "string", default: "haproxy", help: "HAProxy executable (found on PATH)" },
  { env: "HAPROXY_TEMPLATE_PATH", file: "HAProxy.TemplatePath", kind: "string", default: "", help: "Handlebars template; empty: the embedded default" },
  { env: "HAPROXY_OUTPUT_PATH", file: "HAProxy.OutputPath", kind: "string", default: "", help: "where the rendered config is written; empty: BAMBOO_DATA_DIR/haproxy.cfg" },
  { env: "HAPROXY_HTTP_BIND", file: "HAProxy.HttpBind", kind: "bind", default: ":80", help: "bind of the HTTP frontend, e.g. 127.0.0.1:8080" },
  { env: "HAPROXY_SERVICE_BIND", file: "HAProxy.ServiceBind", kind: "list", default: "", help: "addresses every app's service ports listen on (comma-separated IPs, * for all), off for none; empty: the address of HAPROXY_HTTP_BIND" },
  { env: "HAPROXY_HTTPS_BIND", file: "HAProxy.HttpsBind", kind: "bind", default: ":443", help: "bind of HTTPS, served by the same rules as HTTP whenever bamboo has a certificate" },
  { env: "BAMBOO_CERT_DIR", file: "Bamboo.CertDir", kind: "string", default: "", help: "directory of certificates, one <name>.pem each (certificate, chain, key), picked up when files change; empty: API certificates only" },
  { env: "BAMBOO_DEFAULT_CERT", file: "Bamboo.DefaultCert", kind: "string", default: "", help: "PEM file (certificate, chain, key) served to clients asking for a host no certificate names; empty: a self-signed one generated into BAMBOO_DATA_DIR" },
  { env: "HAPROXY_TLS_MIN_VERSION", file: "HAProxy.TlsMinVersion", kind: "string", default: "TLSv1.2", help: "oldest TLS version HTTPS accepts: TLSv1.2 or TLSv1.3" },
  { env: "HAPROXY_TLS_CIPHERS", file: "HAProxy.TlsCiphers", kind: "string", default: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305", help: "TLS 1.2 cipher list (OpenSSL syntax); the default has forward secrecy and AEAD only" },
  { env: "HAPROXY_TLS_CIPHERSUITES", file: "HAProxy.TlsCiphersuites", kind: "string", default: "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", help: "TLS 1.3 cipher suites (OpenSSL syntax)" },
  { env: "HAPROXY_ACCESS_LOG", file: "HAProxy.AccessLog", kind: "choice", choices: ["json", "text", "off"], default: "off", help: "one line per request from HAProxy: json, text (HAProxy's httplog) or off; logging costs a saturated HAProxy about a quarter of its throughput" },
  { env: "HAPROXY_ACCESS_LOG_TARGET", file: "HAProxy.AccessLogTarget", kind: "string", default: "stdout", help: "where access logs go: stdout (bamboo's), a file path (appended to; rotate with copytruncate), udp://host:port or unix:///path (syslog)" },
  { env: "HAPROXY_TIMEOUT_CONNECT", file: "HAProxy.TimeoutConnect", kind: "duration", default: "5s", help: "HAProxy 'timeout connect'" },
  { env: "HAPROXY_TIMEOUT_CLIENT", file: "HAProxy.TimeoutClient", kind: "duration", default: "50s", help: "HAProxy 'timeout client'" },
  { env: "HAPROXY_TIMEOUT_SERVER", file: "HAProxy.TimeoutServer", kind: "duration", default: "50s", help: "HAProxy 'timeout server'" },
  { env: "HAPROXY_TIMEOUT_TUNNEL", file: "HAProxy.TimeoutTunnel", kind: "duration", default: "1h", help: "HAProxy 'timeout tunnel' (websockets)" },
  { env: "HAPROXY_RELOAD_INTERVAL", file: "HAProxy.ReloadInterval", kind: "duration", default: "1s", help: "at most one reload per interval; later changes are coalesced" },
  { env: "HAPROXY_HARD_STOP_AFTER", file: "HAProxy.HardStopAfter", kind: "duration", default: "30s", help: "old workers and a graceful stop end after this" },
] as const satisfies readonly Setting[];

/**
 * Bamboo settings that no longer apply: bamboo owns HAProxy's lifecycle itself, so reload
 * commands have nothing to do. They are reported at start, never silently dropped.
 */
export const RETIRED_SETTINGS = [
  { env: "HAPROXY_RELOAD_CMD", file: "HAProxy.ReloadCommand", why: "bamboo reloads its own HAProxy through the master CLI" },
  { env: "HAPROXY_RELOAD_VALIDATION_CMD", file: "HAProxy.ReloadValidationCommand", why: "bamboo validates every config with 'haproxy -c' itself" },
  { env: "HAPROXY_RELOAD_CLEANUP_CMD", file: "HAProxy.ReloadCleanupCommand", why: "bamboo writes configs atomically and leaves nothing to clean" },
  { env: "STATSD_ENABLED", file: "StatsD.Enabled", why: "metrics are served at /metrics in Prometheus format" },
  { env: "STATSD_HOST", file: "StatsD.Host", why: "metrics are served at /metrics in Prometheus format" },
  { env: "STATSD_PREFIX", file: "StatsD.Prefix", why: "metrics are served at /metrics in Prometheus format" },
  { env: "", file: "Bamboo.Zookeeper.ReportingDelay", why: "changes are written and watched at once" },
] as const;

export type SettingEnv = (typeof SETTINGS)[number]["env"];
