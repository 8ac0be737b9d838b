import type { ACL } from "node-zookeeper-client";
import type { App, AppList, KnownApps } from "../marathon/types.ts";
import type { HistogramSnapshot } from "../system/histogram.ts";
import type { Logger } from "../system/log.ts";
import type { ZkKeeper } from "../store/zk-keeper.ts";
import { AppsFollower, type FollowedApps } from "./apps-follower.ts";
import { AppsPublisher } from "./apps-publisher.ts";
import { LeaderElection, type ElectionRole } from "./leader-election.ts";
import type { LeaderMarathon } from "./published-apps.ts";

/**
 * One Marathon watcher per cluster (issue 21). With ZooKeeper, the appliances elect a leader
 * (leader-election.ts); the leader alone watches Marathon and publishes the apps it applies
 * (apps-publisher.ts), and every other appliance routes from what is published
 * (apps-follower.ts). The reconciler is the same either way: this module hands it the apps
 * from Marathon or from ZooKeeper, and says when that changed. A follower cut off from
 * ZooKeeper keeps routing the last version it read; a new leader resynchronises from
 * Marathon before it publishes.
 *
 * @module
 */

/** Marathon as the leader uses it: the client, and the watcher it starts only while leading. */
export interface LeaderMarathonAccess {
  fetchApps(known?: KnownApps): Promise<AppList>;
  fetchApp(id: string): Promise<App | null>;
  /** Starts following Marathon's events; every change goes to the reconciler. */
  startWatching(): void;
  stopWatching(): Promise<void>;
  /** What the leader says of Marathon to its followers, read now. */
  words(): LeaderMarathon;
  /** Why apps of Marathon's last list were left out, as the leader reports them. */
  problems(): readonly { readonly appId: string; readonly message: string }[];
}

export interface FanoutOptions {
  readonly keeper: ZkKeeper;
  /** Base of the cluster's nodes, e.g. `/marathon-haproxy/state-cluster`. */
  readonly path: string;
  readonly acl: ACL[];
  /** This appliance's name as the others see it. */
  readonly name: string;
  /** The most a published version's apps may weigh (MARATHON_MAX_RESPONSE_SIZE). */
  readonly maxAppsBytes: number;
  readonly marathon: LeaderMarathonAccess;
  /** The reconciler: fetch everything again, now. */
  readonly sourceChanged: (reason: string) => void;
  /** The reconciler: these apps changed (new, changed or gone). */
  readonly appsChanged: (appIds: readonly string[], reason: string) => void;
  readonly log: Logger;
  /**
   * How often a leader publishes again what changed without a fetch (what it says of
   * Marathon), or what its session could not take: nothing is written when nothing changed.
   */
  readonly republishMs?: number;
}

/** The apps source the reconciler fetches from. */
export interface AppsSource {
  /** `known`: the apps the caller holds (marathon/types.ts); a follower's apps are the published ones. */
  fetchApps(known?: KnownApps): Promise<AppList>;
  fetchApp(id: string): Promise<App | null>;
  asksMarathon(): boolean;
}

export interface FanoutStatus {
  readonly role: ElectionRole;
  /** When this appliance's role began (ISO). */
  readonly since: string;
  readonly name: string;
  /** The leader as the last version read or published names it, and since when it leads. */
  readonly leader: { readonly name: string; readonly since: string } | null;
  /** The version this appliance routes from: published (leader) or read (follower). */
  readonly version: number | null;
  readonly publishedAt: string | null;
  /** Follower: when it read that version. */
  readonly readAt: string | null;
  /** What the leader says of Marathon, as read (a follower) or as published (the leader). */
  readonly leaderMarathon: LeaderMarathon | null;
  readonly connected: boolean;
  readonly lastError: string | null;
}

const REPUBLISH_MS = 1_000;

export class MarathonFanout {
  readonly #options: FanoutOptions;
  readonly #election: LeaderElection;
  readonly #publisher: AppsPublisher;
  readonly #follower: AppsFollower;
  #role: ElectionRole = "candidate";
  #leaderSince: string | null = null;
  /** The apps the leader applied last, kept to publish again when its words about Marathon change. */
  #lastApps: readonly App[] | null = null;
  /**
   * What this appliance published last as leader. After leading, it routes from the published
   * versions only once they are at least as new: a version read before it led is older than
   * what it applied since, and ZooKeeper may be what it lost.
   */
  #ownLast: { readonly apps: readonly App[]; readonly version: number } | null = null;
  #republishTimer: ReturnType<typeof setInterval> | null = null;
  /** Marathon's list problems of the version read last: new ones need a full fetch to be shown. */
  #problemsRead: readonly { readonly id: string; readonly message: string }[] | null = null;
  /** Role changes one after another: stopping the watcher is awaited before following starts. */
  #switching: Promise<void> = Promise.resolve();
  /** Whether this appliance is set up to lead (watching Marathon, publishing), which lags #role while switching. */
  #leading = false;

  constructor(options: FanoutOptions) {
    this.#options = options;
    const { keeper, path, acl, log } = options;
    this.#election = new LeaderElection({ keeper, path: `${path}/election`, acl, name: options.name, log }, (role) => this.#roleChanged(role));
    this.#publisher = new AppsPublisher({ keeper, path: `${path}/apps`, acl, log });
    this.#follower = new AppsFollower({ keeper, path: `${path}/apps`, maxBytes: options.maxAppsBytes, log }, (followed) => this.#followed(followed));
  }

  /** Reads what is published and enters the election. */
  start(): void {
    this.#follower.start();
    this.#election.start();
  }

  async stop(): Promise<void> {
    if (this.#republishTimer) clearInterval(this.#republishTimer);
    this.#publisher.stop();
    this.#follower.stop();
    await this.#election.close();
    await this.#switching;
    await this.#options.marathon.stopWatching();
  }

  /** Marathon while leading; the apps last read from ZooKeeper otherwise. */
  readonly source: AppsSource = {
    fetchApps: async (known) => (this.#role === "leader" ? this.#options.marathon.fetchApps(known) : this.#publishedList()),
    fetchApp: async (id) => (this.#role === "leader" ? this.#options.marathon.fetchApp(id) : (this.#follower.app(id) ?? null)),
    asksMarathon: () => this.#role === "leader",
  };

  /** The reconciler fetched `apps` (sorted by id): the leader publishes them. */
  fetched(apps: readonly App[]): void {
    if (this.#role !== "leader") return;
    this.#lastApps = apps;
    this.#publish();
  }

  status(): FanoutStatus {
    const election = this.#election.status();
    const followed = this.#follower.current();
    const leading = this.#role === "leader";
    const published = this.#publisher.status();
    const followerStatus = this.#follower.status();
    return {
      role: this.#role,
      since: election.since,
      name: this.#options.name,
      leader: leading ? { name: this.#options.name, since: this.#leaderSince ?? election.since } : followed ? { name: followed.manifest.leader, since: followed.manifest.leaderSince } : null,
      version: leading ? published.version || null : (followed?.manifest.version ?? null),
      publishedAt: leading ? published.publishedAt : (followed?.manifest.publishedAt ?? null),
      readAt: leading ? null : (followed?.readAt ?? null),
      leaderMarathon: leading ? this.#options.marathon.words() : (followed?.manifest.marathon ?? null),
      connected: this.#options.keeper.live !== null,
      lastError: (leading ? published.lastError : followerStatus.lastError) ?? election.lastError,
    };
  }

  /** Writing one publication, in seconds (leader). */
  publishLatency(): HistogramSnapshot {
    return this.#publisher.latency();
  }

  /** From a version's publication to this follower's reading it, in seconds. */
  followLag(): HistogramSnapshot {
    return this.#follower.lag();
  }

  #publishedList(): AppList {
    const followed = this.#follower.current();
    const own = this.#ownLast;
    if (followed !== null && (own === null || followed.manifest.version >= own.version)) {
      return { apps: this.#follower.apps(), problems: followed.manifest.problems.map((problem) => ({ appId: problem.id, message: problem.message })), unreadable: [] };
    }
    if (own !== null) return { apps: own.apps, problems: this.#options.marathon.problems(), unreadable: [] };
    throw new Error("no apps are published in ZooKeeper yet: waiting for the leader's first publication");
  }

  #followed(followed: FollowedApps): void {
    if (this.#role === "leader") return;
    const reason = `apps version ${followed.manifest.version} published by ${followed.manifest.leader}`;
    const problemsBefore = this.#problemsRead;
    this.#problemsRead = followed.manifest.problems;
    // A task event changes an app or two: those are fetched (from what was read), not every app.
    if (followed.changed !== null && Bun.deepEquals(problemsBefore, followed.manifest.problems)) {
      if (followed.changed.length > 0) this.#options.appsChanged(followed.changed, reason);
      return;
    }
    this.#options.sourceChanged(reason);
  }

  #publish(): void {
    if (this.#lastApps === null || this.#leaderSince === null) return;
    const { marathon, name } = this.#options;
    this.#publisher.publish({
      apps: this.#lastApps,
      problems: marathon.problems().map((problem) => ({ id: problem.appId, message: problem.message })),
      marathon: marathon.words(),
      leader: name,
      leaderSince: this.#leaderSince,
    });
  }

  #roleChanged(role: ElectionRole): void {
    this.#role = role;
    this.#switching = this.#switching.then(() => (role === "leader" ? this.#lead() : this.#follow()));
  }

  #lead(): void {
    // A lead lost and won back before the switch to following ran is still set up.
    if (this.#role !== "leader" || this.#leading) return;
    this.#leading = true;
    const { marathon, log, republishMs } = this.#options;
    this.#follower.stop();
    this.#follower.reset();
    this.#leaderSince = new Date().toISOString();
    // Nothing is published before this leader fetched from Marathon itself.
    this.#lastApps = null;
    marathon.startWatching();
    this.#options.sourceChanged("this appliance leads: resynchronising from Marathon");
    // Followers learn within this that Marathon went away or came back, or what a lost session kept back.
    this.#republishTimer = setInterval(() => this.#publish(), republishMs ?? REPUBLISH_MS);
    log.info("watching Marathon for the cluster", { name: this.#options.name });
  }

  async #follow(): Promise<void> {
    if (this.#role === "leader" || !this.#leading) return;
    this.#leading = false;
    if (this.#republishTimer) clearInterval(this.#republishTimer);
    this.#republishTimer = null;
    if (this.#lastApps !== null) this.#ownLast = { apps: this.#lastApps, version: this.#publisher.status().version };
    this.#publisher.stop();
    this.#leaderSince = null;
    await this.#options.marathon.stopWatching();
    this.#follower.start();
    this.#options.sourceChanged("this appliance no longer leads: routing the apps the leader publishes");
  }
}
