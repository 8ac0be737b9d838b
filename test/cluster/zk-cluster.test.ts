import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import zookeeper from "node-zookeeper-client";
import { AppsFollower, type FollowedApps } from "../../src/cluster/apps-follower.ts";
import { AppsPublisher, type Publication } from "../../src/cluster/apps-publisher.ts";
import { LeaderElection, type ElectionRole } from "../../src/cluster/leader-election.ts";
import { BUCKETS, MAX_PART_BYTES } from "../../src/cluster/published-apps.ts";
import type { App } from "../../src/marathon/types.ts";
import { ZkKeeper } from "../../src/store/zk-keeper.ts";
import { privateAcl } from "../../src/store/zk-layout.ts";
import { app, task } from "../routing/builders.ts";
import { eventually } from "../store/contract.ts";
import { rawClient } from "../store/raw-zk.ts";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper.ts";

/**
 * The election, the leader's publication and the followers' reading, against a real
 * ZooKeeper: one leader at a time, the next one when it goes, and every follower holding
 * exactly the apps published, reading only what changed.
 */

let server: ZooKeeperServer;
const cleanups: (() => unknown)[] = [];
let base = 0;

beforeAll(async () => {
  server = await startZooKeeper();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await server?.stop();
});

/** A fresh path per test, so tests share the server and nothing else. */
/** What a follower reads at most: MARATHON_MAX_RESPONSE_SIZE's default. */
const MAX_BYTES = 256 * 1024 * 1024;

const freshPath = () => `/cluster-test-${++base}`;

function keeper(): ZkKeeper {
  return new ZkKeeper({ hosts: [server.connectionString], auth: "", sessionTimeoutMs: 2000 });
}

function publication(apps: readonly App[], overrides: Partial<Publication> = {}): Publication {
  return { apps, problems: [], marathon: { connected: true, lastError: null, lastSyncAt: null }, leader: "http://leader:8000", leaderSince: "2026-11-30T00:00:00.000Z", ...overrides };
}

const appsOf = (count: number, prefix = "/app") => Array.from({ length: count }, (_, i) => app({ id: `${prefix}${String(i).padStart(5, "0")}`, tasks: [task({ id: `t${i}`, appId: `${prefix}${i}` })] }));
const ids = (apps: readonly App[]) => apps.map((entry) => entry.id).sort();

describe("leader election", () => {
  test("one of three leads; when it leaves, exactly one other takes over, and a newcomer follows", async () => {
    const path = `${freshPath()}/election`;
    const roles = new Map<string, ElectionRole>();
    const join = (name: string) => {
      const election = new LeaderElection({ keeper: keeper(), path, acl: zookeeper.ACL.OPEN_ACL_UNSAFE, name }, (role) => roles.set(name, role));
      election.start();
      cleanups.push(() => election.close());
      return election;
    };
    const leaders = () => [...roles].filter(([, role]) => role === "leader").map(([name]) => name);
    const elections = new Map(["a", "b", "c"].map((name) => [name, join(name)]));
    await eventually(() => leaders().length === 1 && [...roles.values()].filter((role) => role === "follower").length === 2, "one leader and two followers");
    const first = leaders()[0]!;
    expect(elections.get(first)!.status().role).toBe("leader");
    await elections.get(first)!.close();
    await eventually(() => leaders().length === 1 && leaders()[0] !== first, "another leader");
    join("d");
    await eventually(() => roles.get("d") === "follower", "the newcomer to follow");
    expect(leaders()).toHaveLength(1);
  });

  test("after ZooKeeper restarts, the appliances enter again and one leads", async () => {
    const path = `${freshPath()}/election`;
    const roles = new Map<string, ElectionRole>();
    const elections = ["a", "b"].map((name) => {
      const election = new LeaderElection({ keeper: keeper(), path, acl: zookeeper.ACL.OPEN_ACL_UNSAFE, name }, (role) => roles.set(name, role));
      election.start();
      cleanups.push(() => election.close());
      return election;
    });
    await eventually(() => [...roles.values()].includes("leader"), "a leader");
    await server.kill();
    await server.restart();
    await eventually(() => elections.filter((election) => election.status().role === "leader").length === 1 && elections.every((election) => election.status().role !== "candidate"), "one leader again", 20_000);
  }, 40_000);
});

describe("publishing and following the apps", () => {
  /** A publisher on a session of its own (in an appliance, the election keeps the session open). */
  async function publisherAt(path: string): Promise<AppsPublisher> {
    const one = keeper();
    cleanups.push(one.attach({ probePath: "/", opened() {}, connected() {}, disconnected() {}, lost() {} }));
    await eventually(() => one.live !== null, "a session");
    const publisher = new AppsPublisher({ keeper: one, path, acl: zookeeper.ACL.OPEN_ACL_UNSAFE });
    cleanups.push(() => publisher.stop());
    return publisher;
  }

  /** A follower, and each version it read with the apps it held then. */
  function followerAt(path: string): { follower: AppsFollower; seen: (FollowedApps & { readonly apps: readonly App[] })[] } {
    const seen: (FollowedApps & { readonly apps: readonly App[] })[] = [];
    const follower: AppsFollower = new AppsFollower({ keeper: keeper(), path, maxBytes: MAX_BYTES }, (followed) => seen.push({ ...followed, apps: follower.apps() }));
    follower.start();
    cleanups.push(() => follower.stop());
    return { follower, seen };
  }

  test("a follower holds exactly what was published, version after version, reading only the buckets that changed", async () => {
    const path = `${freshPath()}/apps`;
    const publisher = await publisherAt(path);
    const { follower, seen } = followerAt(path);
    const first = appsOf(500);
    publisher.publish(publication(first));
    await eventually(() => seen.length === 1, "the first version");
    expect(ids(seen[0]!.apps)).toEqual(ids(first));
    expect(seen[0]!.manifest.version).toBe(1);
    expect(seen[0]!.apps.find((entry) => entry.id === first[7]!.id)).toEqual(first[7]!);

    // One app changes: a new array with every other app the same object.
    const second = first.map((entry, i) => (i === 7 ? { ...entry, instances: 9 } : entry));
    publisher.publish(publication(second));
    await eventually(() => seen.length === 2, "the second version");
    expect(seen[1]!.manifest.version).toBe(2);
    expect(seen[1]!.apps.find((entry) => entry.id === first[7]!.id)!.instances).toBe(9);
    // Apps of the buckets that did not change are the objects read before.
    const before = new Map(seen[0]!.apps.map((entry) => [entry.id, entry]));
    const reread = seen[1]!.apps.filter((entry) => before.get(entry.id) !== entry);
    // Only the changed app is a new object, and it alone is reported as changed.
    expect(reread.map((entry) => entry.id)).toEqual([first[7]!.id]);
    expect(seen[0]!.changed).toBeNull();
    expect(seen[1]!.changed).toEqual([first[7]!.id]);

    // The same apps again: nothing written, no new version.
    publisher.publish(publication(second));
    await Bun.sleep(0);
    expect(publisher.status().version).toBe(2);
    // An app gone, another new.
    const third = [...second.slice(1), app({ id: "/zz-new" })];
    publisher.publish(publication(third));
    await eventually(() => seen.length === 3, "the third version");
    expect(ids(seen[2]!.apps)).toEqual(ids(third));
    expect([...seen[2]!.changed!].sort()).toEqual([first[0]!.id, "/zz-new"].sort());
    expect(follower.app("/zz-new")).toEqual(third.at(-1)!);
    expect(follower.status()).toMatchObject({ version: 3, lastError: null, connected: true });
  });

  test("nodes no longer named are removed one publication later; a leader new to the path goes on from the last version", async () => {
    const path = `${freshPath()}/apps`;
    const raw = await rawClient(server.connectionString);
    cleanups.push(() => raw.close());
    const children = async () => (await raw.children(path)).sort();
    const publisher = await publisherAt(path);
    const waitVersion = (version: number) => eventually(() => publisher.status().version === version, `version ${version}`);
    const v1 = [app({ id: "/a" })];
    publisher.publish(publication(v1));
    await waitVersion(1);
    const nodesOf1 = await children();
    const v2 = [app({ id: "/a", instances: 2 })];
    publisher.publish(publication(v2));
    await waitVersion(2);
    expect((await children()).length).toBe(2); // version 1's node is kept for readers of version 1
    publisher.publish(publication([app({ id: "/a", instances: 3 })]));
    await waitVersion(3);
    const now = await children();
    expect(now).toHaveLength(2);
    expect(now).not.toContain(nodesOf1[0]!);
    // A stray node (a leader that died between a node and its manifest) and a new leader.
    await raw.create(`${path}/b9-stray-0`, "x");
    publisher.stop();
    const next = await publisherAt(path);
    next.publish(publication([app({ id: "/a", instances: 4 })], { leader: "http://next:8000" }));
    await eventually(() => next.status().version === 4, "the next leader's first version");
    expect(await children()).not.toContain("b9-stray-0");
  });

  test("20,000 apps: every node stays far below ZooKeeper's limit, and a follower reads them all", async () => {
    const path = `${freshPath()}/apps`;
    const publisher = await publisherAt(path);
    const { seen } = followerAt(path);
    const apps = appsOf(20_000);
    publisher.publish(publication(apps));
    await eventually(() => seen.length === 1, "20,000 apps read", 30_000);
    expect(seen[0]!.apps).toHaveLength(20_000);
    const buckets = Object.values(seen[0]!.manifest.buckets);
    expect(buckets.length).toBeLessThanOrEqual(BUCKETS);
    const raw = await rawClient(server.connectionString);
    cleanups.push(() => raw.close());
    const sizes = await Promise.all(buckets.flat().map(async (node) => (await raw.get(`${path}/${node}`))!.length));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_PART_BYTES);
    expect((await raw.get(path))!.length).toBeLessThan(64 * 1024);
  }, 60_000);

  test("with BAMBOO_ZK_AUTH, what is published (the apps' env included) is readable by bamboo's identity alone", async () => {
    const path = `${freshPath()}/apps`;
    const auth = "bamboo:secret";
    const one = new ZkKeeper({ hosts: [server.connectionString], auth, sessionTimeoutMs: 2000 });
    cleanups.push(one.attach({ probePath: "/", opened() {}, connected() {}, disconnected() {}, lost() {} }));
    await eventually(() => one.live !== null, "a session");
    const publisher = new AppsPublisher({ keeper: one, path, acl: privateAcl(auth) });
    cleanups.push(() => publisher.stop());
    publisher.publish(publication([app({ id: "/a", env: { DB_PASSWORD: "hunter2" } })]));
    await eventually(() => publisher.status().version === 1, "the first version");
    const outsider = await rawClient(server.connectionString);
    cleanups.push(() => outsider.close());
    await expect(outsider.get(path)).rejects.toMatchObject({ code: zookeeper.Exception.NO_AUTH });
    const seen: FollowedApps[] = [];
    const follower = new AppsFollower({ keeper: new ZkKeeper({ hosts: [server.connectionString], auth, sessionTimeoutMs: 2000 }), path, maxBytes: MAX_BYTES }, (followed) => seen.push(followed));
    follower.start();
    cleanups.push(() => follower.stop());
    await eventually(() => seen.length === 1, "bamboo's own follower to read it");
    expect(follower.app("/a")?.env.DB_PASSWORD).toBe("hunter2");
  });

  test("a version heavier than Marathon may answer is refused whole; the one before keeps routing", async () => {
    const path = `${freshPath()}/apps`;
    const publisher = await publisherAt(path);
    const seen: FollowedApps[] = [];
    const follower = new AppsFollower({ keeper: keeper(), path, maxBytes: 20_000 }, (followed) => seen.push(followed));
    follower.start();
    cleanups.push(() => follower.stop());
    publisher.publish(publication(appsOf(5)));
    await eventually(() => seen.length === 1, "the small version");
    publisher.publish(publication(appsOf(500)));
    await eventually(() => follower.status().lastError !== null, "the heavy version to be refused");
    expect(follower.status().lastError).toContain("version 2 holds more than 20000 bytes of apps, more than Marathon may answer (MARATHON_MAX_RESPONSE_SIZE)");
    expect(follower.apps()).toHaveLength(5);
    expect(follower.status().version).toBe(1);
  });

  test("a bucket that does not decode keeps the version read before, and says why", async () => {
    const path = `${freshPath()}/apps`;
    const good = await publisherAt(path);
    const { follower, seen } = followerAt(path);
    good.publish(publication([app({ id: "/a" })]));
    await eventually(() => seen.length === 1, "the first version");
    const raw = await rawClient(server.connectionString);
    cleanups.push(() => raw.close());
    const manifest = JSON.parse((await raw.get(path))!);
    await raw.create(`${path}/b1-00000000000000aa-0`, "not gzip");
    await raw.set(path, JSON.stringify({ ...manifest, version: manifest.version + 1, buckets: { "1": ["b1-00000000000000aa-0"] } }));
    await eventually(() => follower.status().lastError !== null, "the problem to be said");
    expect(follower.status().lastError).toContain(`bucket 1 of version ${manifest.version + 1} does not read: not a gzipped bucket`);
    expect(follower.status().lastError).toContain(`routing the apps of version ${manifest.version} meanwhile`);
    expect(ids(follower.apps())).toEqual(["/a"]);
  });
});
