/**
 * Marathon apps and tasks as the rest of bamboo sees them: parsed once at the edge
 * (normalise.ts), with networking mode, health and readiness already decided.
 */

/** One Marathon health check, reduced to what routing needs. */
export interface HealthCheck {
  /** HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP. */
  readonly protocol: string;
  /** Request path for HTTP-like checks; "" otherwise. */
  readonly path: string;
  /** Index into the app's service ports that the check probes. */
  readonly portIndex: number;
  /** A fixed port the check probes instead of a port index (Marathon's `port`), or null. */
  readonly port: number | null;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly maxConsecutiveFailures: number;
}

/** One of an app's ports, as `portDefinitions` or `portMappings` declare it. */
export interface AppPort {
  /** Marathon's service port; 0 where none was assigned. */
  readonly servicePort: number;
  /** "tcp", "udp" or "udp,tcp", lower-cased. */
  readonly protocol: string;
  /** The port's name ("http", "grpc"...), or "". */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Task {
  readonly id: string;
  readonly appId: string;
  /** Address HAProxy connects to: the agent host, or the task's own IP with IP-per-task networking. */
  readonly host: string;
  /** One port per service port index, reachable on `host`. */
  readonly ports: readonly number[];
  /** Mesos state, e.g. TASK_RUNNING, TASK_KILLING. */
  readonly state: string;
  /** Passing every Marathon health check of the app (true when the app has none). */
  readonly alive: boolean;
  /** False when Marathon sent no health results although the app has health checks. */
  readonly healthKnown: boolean;
  /** Bamboo's `Ready`: readiness checks pass, or no deployment is under way. */
  readonly ready: boolean;
  readonly startedAt: string | null;
}

export interface App {
  /** Always with a leading slash, e.g. "/group/app". */
  readonly id: string;
  readonly instances: number;
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** The app's ports by port index, with Marathon's `servicePort` for each. */
  readonly ports: readonly AppPort[];
  readonly healthChecks: readonly HealthCheck[];
  /** Path of the first readiness check, or "". */
  readonly readinessCheckPath: string;
  /** Every task Marathon reports for the app, sorted by id. */
  readonly tasks: readonly Task[];
}

/**
 * The apps a caller already holds, by id. A fetch hands back an app Marathon answered the same
 * again as that object: unchanged apps keep their identity, which every later step compares
 * first, and the copy read is garbage at once instead of after the whole list.
 */
export type KnownApps = (id: string) => App | undefined;

/** Only these tasks receive traffic. */
export function isRoutable(task: Task): boolean {
  return task.state === "TASK_RUNNING" && task.alive && task.ready;
}

/**
 * What a Marathon event (or a fetch) invalidated. Events are triggers, never deltas: the
 * reconciler refetches one app for `app` and everything for `all`.
 */
export type MarathonChange =
  | { readonly kind: "app"; readonly appId: string }
  /** A deployment's apps, named by its plan. */
  | { readonly kind: "apps"; readonly appIds: readonly string[]; readonly reason: string }
  | {
      readonly kind: "all";
      readonly reason: string;
      /**
       * The refetch may wait a moment: a group change (or a deployment event whose plan
       * names no app) may touch anything, but nothing about it is urgent, and fetching every
       * app at once must not delay the single-app updates that carry task churn.
       */
      readonly lazy?: boolean;
    };

/** An app (or one of its tasks) that could not be read; it is left out and reported, never fatal. */
export interface NormaliseProblem {
  /** The app's id with a leading slash, or "" when even the id was unreadable. */
  readonly appId: string;
  readonly message: string;
}

/** Every app Marathon knows that could be read, sorted by id, and what could not be. */
export interface AppList {
  readonly apps: readonly App[];
  readonly problems: readonly NormaliseProblem[];
  /**
   * Ids of listed entries that could not be read at all ("" when not even the id could be):
   * such an app is not gone, so whoever keeps apps keeps its last known version.
   */
  readonly unreadable: readonly string[];
}
