import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import zookeeper from "node-zookeeper-client";
import { MarathonFanout, type LeaderMarathonAccess } from "../../src/cluster/fanout.ts";
import type { LeaderMarathon } from "../../src/cluster/published-apps.ts";
import type { App } from "../../src/marathon/types.ts";
import { ZkKeeper } from "../../src/store/zk-keeper.ts";
import type { Logger } from "../../src/system/log.ts";
import { app } from "../routing/builders.ts";
import { eventually } from "../store/contract.ts";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper.ts";

/**
 * The fanout as the reconciler sees it, against a real ZooKeeper and a stand-in Marathon:
 * whom it fetches from, what it says changed, what followers learn of the leader's
 * Marathon, and that an appliance that led never goes back to apps older than its own.
 */

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

let server: ZooKeeperServer;
let base = 0;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startZooKeeper();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await server?.stop();
});

/** A stand-in for Marathon and the reconciler around one fanout. */
class Appliance {
  apps: readonly App[] = [];
  words: LeaderMarathon = { connected: true, lastError: null, lastSyncAt: null };
  watching = false;
  readonly fullFetches: string[] = [];
  readonly changed: (readonly string[])[] = [];
  readonly fanout: MarathonFanout;

  constructor(name: string, path: string) {
    const marathon: LeaderMarathonAccess = {
      fetchApps: async () => ({ apps: this.apps, problems: [], unreadable: [] }),
      fetchApp: async (id) => this.apps.find((entry) => entry.id === id) ?? null,
      startWatching: () => (this.watching = true),
      stopWatching: async () => {
        this.watching = false;
      },
      words: () => this.words,
      problems: () => [],
    };
    this.fanout = new MarathonFanout({
      keeper: new ZkKeeper({ hosts: [server.connectionString], auth: "", sessionTimeoutMs: 2000 }),
      path,
      acl: zookeeper.ACL.OPEN_ACL_UNSAFE,
      name,
      maxAppsBytes: 256 * 1024 * 1024,
      marathon,
      sourceChanged: (reason) => this.fullFetches.push(reason),
      appsChanged: (ids) => this.changed.push(ids),
      log: silent,
      republishMs: 50,
    });
    this.fanout.start();
    cleanups.push(() => this.fanout.stop());
  }

  get role() {
    return this.fanout.status().role;
  }

  /** What the reconciler would get from a full fetch now, by id. */
  async ids(): Promise<string[]> {
    return (await this.fanout.source.fetchApps()).apps.map((entry) => entry.id).sort();
  }
}

const appsOf = (...ids: string[]) => ids.map((id) => app({ id }));

describe("MarathonFanout", () => {
  test("the leader fetches from Marathon and publishes; a follower fetches what was published and hears which apps changed", async () => {
    const path = `/fanout-test-${++base}`;
    const a = new Appliance("a", path);
    await eventually(() => a.role === "leader", "a to lead");
    expect(a.watching).toBe(true);
    expect(a.fanout.source.asksMarathon()).toBe(true);
    a.apps = appsOf("/one", "/two");
    a.fanout.fetched(a.apps);

    const b = new Appliance("b", path);
    await eventually(() => b.role === "follower" && b.fullFetches.length > 0, "b to follow and read the first version");
    expect(b.watching).toBe(false);
    expect(b.fanout.source.asksMarathon()).toBe(false);
    expect(await b.ids()).toEqual(["/one", "/two"]);
    expect(b.fanout.status().leader?.name).toBe("a");

    // One app changes: the follower hears that id, and fetches it from what it read.
    const changedTwo = { ...a.apps[1]!, instances: 5 };
    a.apps = [a.apps[0]!, changedTwo];
    a.fanout.fetched(a.apps);
    await eventually(() => b.changed.length > 0, "b to hear of the change");
    expect(b.changed.at(-1)).toEqual(["/two"]);
    expect((await b.fanout.source.fetchApp("/two"))?.instances).toBe(5);
    // The leader's word on Marathon reaches the follower without any app changing.
    a.words = { connected: false, lastError: "connection refused", lastSyncAt: null };
    await eventually(() => b.fanout.status().leaderMarathon?.connected === false, "b to learn that a lost Marathon");
    expect(b.fanout.status().leaderMarathon?.lastError).toBe("connection refused");
  });

  test("the leader stopping hands the lead on: the next one watches Marathon and fetches everything from it", async () => {
    const path = `/fanout-test-${++base}`;
    const a = new Appliance("a", path);
    await eventually(() => a.role === "leader", "a to lead");
    a.apps = appsOf("/one");
    a.fanout.fetched(a.apps);
    const b = new Appliance("b", path);
    await eventually(() => b.role === "follower" && b.fullFetches.length > 0, "b to follow");
    await a.fanout.stop();
    await eventually(() => b.role === "leader" && b.watching, "b to lead and watch Marathon");
    expect(b.fullFetches.at(-1)).toBe("this appliance leads: resynchronising from Marathon");
    expect(b.fanout.source.asksMarathon()).toBe(true);
  });

  test("cut off after leading, an appliance keeps routing its own last apps, not an older version it read before", async () => {
    const path = `/fanout-test-${++base}`;
    const a = new Appliance("a", path);
    await eventually(() => a.role === "leader", "a to lead");
    a.apps = appsOf("/old");
    a.fanout.fetched(a.apps);
    const b = new Appliance("b", path);
    await eventually(() => b.role === "follower" && b.fullFetches.length > 0, "b to read /old");
    await a.fanout.stop();
    await eventually(() => b.role === "leader", "b to lead");
    b.apps = appsOf("/new");
    b.fanout.fetched(b.apps);
    await eventually(() => b.fanout.status().version !== null && b.fanout.status().publishedAt !== null, "b to publish");
    // ZooKeeper stops answering: b's session is given up, and b no longer leads.
    server.freeze();
    try {
      await eventually(() => b.role === "candidate", "b to leave the lead", 10_000);
      expect(b.watching).toBe(false);
      expect(await b.ids()).toEqual(["/new"]);
      expect(b.fanout.status().connected).toBe(false);
    } finally {
      server.thaw();
    }
    await eventually(() => b.role === "leader", "b to lead again", 15_000);
  }, 30_000);
});
