import type { LogFormatSetting } from "../system/log-format.ts";
import type { LogLevel } from "../system/log.ts";
import type { BindAddress } from "./parse.ts";

/** Where HAProxy's access logs go: its stdout (bamboo's, or a file bamboo opens for it), or a syslog address. */
export type AccessLogTarget = { readonly kind: "stdout" } | { readonly kind: "file"; readonly path: string } | { readonly kind: "syslog"; readonly address: string };

/** One validated, frozen configuration; built by {@link loadConfig} and nothing else. */
export interface Config {
  readonly marathon: {
    readonly endpoints: readonly string[];
    readonly user: string;
    readonly password: string;
    readonly authToken: string;
    readonly caCertPath: string;
    readonly useEventStream: boolean;
    readonly streamTimeoutMs: number;
    readonly resyncIntervalMs: number;
    readonly requestTimeoutMs: number;
    /** Answers larger than this are refused before they are parsed. */
    readonly maxResponseBytes: number;
    /** One event (all its data lines) larger than this is refused. */
    readonly maxEventBytes: number;
    /** A full app list that drops more than this share (0..1] of the known apps waits for a second fetch. */
    readonly confirmShrinkAbove: number;
  };
  readonly bamboo: {
    readonly endpoint: string;
    readonly bind: BindAddress;
    readonly dataDir: string;
    readonly drainPeriodMs: number;
    /** null: /status does not turn 503 for a config that is only stale. */
    readonly staleUnreadyAfterMs: number | null;
    /** Which apps this instance serves (src/routing/app-groups.ts): empty groups, every app. */
    readonly groups: { readonly groups: readonly string[]; readonly ungrouped: "skip" | "serve" };
    /** null: traffic is not sampled. */
    readonly trafficIntervalMs: number | null;
    readonly apiUser: string;
    /** "" until the serve command fills in the stored or generated password. */
    readonly apiPassword: string;
    /** False only when the operator chose to run the API open. */
    readonly apiAuth: boolean;
    /** The read-only user; reads need it or the admin's credentials. */
    readonly viewerUser: string;
    /** "" until the serve command fills in the stored or generated password. */
    readonly viewerPassword: string;
    /** False: reads are open to anyone, as in Bamboo; writes still need the admin. */
    readonly readAuth: boolean;
    /** False: /metrics and /metrics/haproxy alone are open to anyone, for a Prometheus scraper. */
    readonly metricsAuth: boolean;
    /** BAMBOO_ACL_POLICY as written; its meaning is routing's (src/routing/acl/policy.ts), checked at start. */
    readonly aclPolicy: string;
    /** "": no certificate directory. */
    readonly certDir: string;
    /** "": a generated self-signed certificate answers hosts no certificate names. */
    readonly defaultCertPath: string;
    /** Lines below this level are not written. */
    readonly logLevel: LogLevel;
    readonly logFormat: LogFormatSetting;
  };
  readonly zookeeper: {
    /** Empty: the file store is used. */
    readonly hosts: readonly string[];
    readonly path: string;
    readonly auth: string;
    /** One appliance watches Marathon and publishes the apps in ZooKeeper for the others (cluster/). */
    readonly marathonFanout: boolean;
    readonly sessionTimeoutMs: number;
  };
  readonly haproxy: {
    readonly bin: string;
    /** "" selects the embedded default template. */
    readonly templatePath: string;
    readonly outputPath: string;
    readonly httpBind: BindAddress;
    readonly httpsBind: BindAddress;
    /** Where apps' service ports listen: off, or these addresses ("" for every address). */
    readonly serviceBind: { readonly off: true } | { readonly off: false; readonly addresses: readonly string[] };
    readonly accessLog: {
      readonly format: "json" | "text" | "off";
      readonly target: AccessLogTarget;
    };
    readonly tls: {
      readonly minVersion: "TLSv1.2" | "TLSv1.3";
      readonly ciphers: string;
      readonly ciphersuites: string;
    };
    readonly timeoutConnectMs: number;
    readonly timeoutClientMs: number;
    readonly timeoutServerMs: number;
    readonly timeoutTunnelMs: number;
    readonly reloadIntervalMs: number;
    readonly hardStopAfterMs: number;
    readonly statsUser: string;
    readonly statsPassword: string;
  };
}
