/**
 * The JSON the web UI reads and writes. The server imports these types to build its answers,
 * the browser code imports them to read them, so both sides agree at compile time.
 * Types and one constant only: the browser bundle imports it, so it must pull in no server code.
 */
import type { StatusBody } from "../views.ts";

/** HAProxy's own word for a server, from the runtime API; null when HAProxy has not reported it. */
export type HAProxyServerState = "UP" | "DOWN" | "MAINT" | "DRAIN" | "NOLB";

/** One word per app, the page's colour: green, red, amber, grey. */
export type AppStatus = "healthy" | "no-healthy-task" | "partial" | "no-rule";

export interface OverviewServer {
  readonly taskId: string;
  /** "host:port" */
  readonly address: string;
  readonly marathon: { readonly state: string; readonly alive: boolean; readonly ready: boolean };
  readonly haproxy: HAProxyServerState | null;
}

export interface OverviewApp {
  readonly id: string;
  /** The service's ACL, the rule the app's marathon-lb labels give, or the default path rule it falls back to. */
  readonly rule: { readonly acl: string; readonly source: "service" | "labels" | "default" };
  /** Instances Marathon was asked for. */
  readonly instances: number;
  readonly tasks: { readonly total: number; readonly healthy: number; readonly routed: number };
  readonly servers: readonly OverviewServer[];
  readonly status: AppStatus;
  /** The status in plain words, e.g. "503 for every request". */
  readonly statusText: string;
}

export interface Overview {
  /** Changes whenever anything in the overview changes. */
  readonly version: number;
  /**
   * This overview's id in the event stream, unique across restarts of the appliance:
   * `GET /api/events?since=<eventId>` does not send it again.
   */
  readonly eventId: string;
  readonly generatedAt: string;
  readonly apps: readonly OverviewApp[];
  /** Services stored for apps Marathon does not have (yet). */
  readonly orphanServices: readonly { readonly id: string; readonly acl: string }[];
  /**
   * Apps Marathon has that this instance leaves to instances of other groups (BAMBOO_GROUPS);
   * missing from an older appliance.
   */
  readonly elsewhere?: { readonly count: number; readonly groups: readonly string[] };
  readonly warnings: readonly { readonly id: string; readonly message: string }[];
  readonly overlaps: readonly { readonly id: string; readonly otherId: string; readonly detail: string }[];
}

/**
 * What changed from the overview of the version before (`event: changes` in the stream):
 * rows added or changed, ids removed, and the small parts whole. A stream sends a full
 * overview first, then only these.
 */
export interface OverviewChanges extends Omit<Overview, "apps"> {
  readonly apps: readonly OverviewApp[];
  readonly removed: readonly string[];
}

/** GET /api/status. Every field may be missing in an older or partial answer; the UI shows "—". */
/** GET /api/status: built by the server from the loop's readings (src/http/views.ts). */
export type ApplianceStatus = StatusBody;

/** Bamboo's wire shape of a stored service. */
export interface WireService {
  readonly Id: string;
  readonly Acl: string;
  readonly Config: Readonly<Record<string, string>>;
}

/** GET /api/services */
export type ServicesById = Readonly<Record<string, WireService>>;

/** POST /api/services and PUT /api/services/<id> */
export interface ServiceWriteBody {
  readonly id: string;
  readonly acl: string;
  /**
   * The service's whole config (the API stores what it is sent, so a write that leaves a key
   * out drops it): `RedirectToHttps`, `Hsts` and any keys a template reads.
   */
  readonly config?: Readonly<Record<string, string>>;
}

/** The success body of a write sent with ?dryRun=true: nothing was stored. */
export interface DryRunAnswer extends WireService {
  readonly dryRun: true;
  readonly overlaps: readonly { readonly id: string; readonly otherId: string; readonly detail: string }[];
}

/** Every error the API answers: 400 invalid, 401 needs credentials, 409 conflict, 503 store unavailable. */
export interface ApiErrorBody {
  readonly error: string;
  readonly conflictsWith?: readonly string[];
}

/** POST /api/request-test */
export interface RequestTestBody {
  /** Path and query, or a full URL. */
  readonly url: string;
  readonly host: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RequestVerdict = "routed" | "no-rule" | "no-healthy-server" | "no-tasks";

export interface RequestTestAnswer {
  readonly verdict: RequestVerdict;
  readonly explanation: string;
  /**
   * `via`: how HAProxy finds the rule, by a key of a map file (`map`, `key`) or by testing it
   * in the chain. Optional for answers of older versions.
   */
  readonly matched: {
    readonly appId: string;
    /** The app's port the rule routes to: 0 for its own rule, n for HAPROXY_{n}_VHOST/PATH. */
    readonly port: number;
    readonly acl: string;
    readonly backend: string;
    readonly via?: "map" | "chain";
    readonly map?: string;
    readonly key?: string;
  } | null;
  readonly servers: readonly { readonly address: string; readonly haproxy: HAProxyServerState | null }[];
  readonly candidates: readonly { readonly appId: string; readonly port: number; readonly acl: string; readonly matches: boolean }[];
}

/** How HAProxy took a write (`X-Bamboo-Applied`): at run time, by a reload, or not yet (stored). */
export type AppliedBy = "runtime" | "reload" | "pending";

/** What `GET /api/certificates` says of one certificate; its key never leaves the appliance. */
export interface CertificateDates {
  readonly hosts: readonly string[];
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly fingerprint: string;
  readonly expired: boolean;
  /** Expires within 14 days (views.ts EXPIRY_WARNING_DAYS). */
  readonly expiresSoon: boolean;
}

/** `api`: uploaded, kept in the store; `dir`: a file in BAMBOO_CERT_DIR. */
export type CertificateSource = "api" | "dir";

export interface CertificateSummary extends CertificateDates {
  readonly name: string;
  readonly source: CertificateSource;
  /** HAProxy serves this very certificate (same name, source and fingerprint). */
  readonly served: boolean;
  /** Apps whose host rules it covers. */
  readonly apps: readonly string[];
}

/**
 * `GET /api/certificates` (src/http/certificates-api.ts). Written out here, as the handler
 * builds its answer inline; every field may be missing from an older appliance.
 */
export interface CertificateList {
  readonly https: { readonly enabled: boolean; readonly bind: string };
  readonly certificates: readonly CertificateSummary[];
  /** Certificates that cannot be served: a bad file in the directory, a stored body that does not read. */
  readonly problems: readonly { readonly source: string; readonly name: string; readonly message: string }[];
  readonly default: CertificateDates & { readonly source: "configured" | "generated"; readonly file: string };
}

/** `PUT /api/certificates/<name>`: the stored certificate, and how HAProxy took it. */
export interface CertificateUpload {
  readonly certificate: CertificateDates & { readonly name: string; readonly source: "api" };
  readonly applied: AppliedBy | null;
}

/** The header the UI sends on every API call, so the server can leave out `WWW-Authenticate`
 * on a 401 and the browser shows the page's own prompt instead of its native one. */
export const UI_REQUEST_HEADER = "x-bamboo-ui";

/**
 * Traffic, sampled from HAProxy's counters (`show stat`) every `intervalMs` and kept in
 * bamboo's memory only, for `windowMs` (src/traffic). One point per interval: requests per
 * second (HTTP requests, or connections for a TCP backend), 5xx responses per second, and
 * HAProxy's `rtime` in milliseconds: the mean response time of the backend's (or server's)
 * last 1,024 requests, null for an interval in which it answered none. HAProxy keeps no
 * percentiles, so this is a recent mean, not a p50.
 */
export type TrafficPoint = readonly [requestsPerSecond: number, errorsPerSecond: number, responseMs: number | null];

/** Whether sampling works: `off` (BAMBOO_TRAFFIC_INTERVAL=off), `ok`, or `failing` with why. */
export interface TrafficSampling {
  readonly state: "ok" | "off" | "failing";
  readonly message?: string;
}

/**
 * `GET /api/traffic`, and `event: traffic-history` on `/api/events` when the stream opens:
 * the window so far, in buckets of `bucketMs` (coarser than the sampling, so 10,000 busy apps
 * stay a few megabytes). `times[i]` is the end of bucket i (ms since the epoch), oldest first;
 * every series is aligned with it. Apps with no request and no error in the whole window are
 * left out: they had none.
 */
export interface TrafficHistory {
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly sampling: TrafficSampling;
  readonly times: readonly number[];
  /** All apps together; responseMs is the mean over apps weighted by their requests. */
  readonly totals: readonly TrafficPoint[];
  readonly apps: Readonly<Record<string, readonly TrafficPoint[]>>;
}

/** `event: traffic` on `/api/events`: one new sample, every `intervalMs`. */
export interface TrafficSample {
  /** End of the interval (ms since the epoch). */
  readonly at: number;
  readonly sampling: TrafficSampling;
  readonly totals: TrafficPoint;
  /** Apps with any request or error in this interval; every app not named had none. */
  readonly apps: Readonly<Record<string, TrafficPoint>>;
}

/** One server of an app in {@link AppTraffic}: a task as HAProxy saw it. */
export interface ServerTraffic {
  /** HAProxy's server name (the slot, e.g. `s0`). */
  readonly name: string;
  /** "host:port" of the task the slot served; a slot that moved to another task is a new entry. */
  readonly address: string;
  /** Marathon's task id when the task is still known, else null. */
  readonly taskId: string | null;
  /** Aligned with {@link AppTraffic.times}; null before the server was seen or after it left. */
  readonly points: readonly (TrafficPoint | null)[];
}

/**
 * `GET /api/traffic/apps/<id>`: one app's window at full resolution (one point per sample),
 * with the per-server split when the app is among the busiest `serverSplitLimit` apps (the
 * servers of every app would cost HAProxy a dump of every server each interval); otherwise
 * `servers` is null and `serversWhy` says so.
 */
export interface AppTraffic {
  readonly id: string;
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly sampling: TrafficSampling;
  readonly times: readonly number[];
  readonly points: readonly TrafficPoint[];
  readonly servers: readonly ServerTraffic[] | null;
  readonly serversWhy?: string;
}

/**
 * One app port in {@link AppPortsAnswer}, as the config HAProxy runs has it (routing/service-ports.ts
 * decides mode and listener; README "Service ports: HTTP and TCP").
 */
export interface ServicePortAnswer {
  /** The port's index in the app's definition: port 0, port 1... */
  readonly index: number;
  /** Marathon's service port; 0 when Marathon gave it none. */
  readonly servicePort: number;
  readonly mode: "http" | "tcp";
  /** What decided the mode: `label HAPROXY_1_MODE`, `port name 'http'`, `HTTP health check`, `port 0`, `default`; "" for a port the app does not define. */
  readonly modeFrom: string;
  /** What its listener binds (`127.0.0.1:10001`; `:10001` is every address); empty when it is not listened on. */
  readonly binds: readonly string[];
  /** Why it is not listened on (another app has the port, `HAPROXY_{n}_ENABLED` is false, no service port...); null when it is. */
  readonly whyNotListened: string | null;
  /** Its backend: port 0 shares the app's `-cluster` backend, port n has `-cluster-port<n>`. */
  readonly backend: string;
  /**
   * For a port after the first, the rule by which the shared HTTP frontend routes to it (its
   * labels HAPROXY_{n}_VHOST/PATH); null for none. Port 0 is routed by the app's own rule.
   */
  readonly frontendRule: string | null;
}

/** `GET /api/apps/<id>/ports`: the app's service ports as HAProxy runs them (src/http/app-ports-api.ts). */
export interface AppPortsAnswer {
  readonly id: string;
  readonly ports: readonly ServicePortAnswer[];
}
