import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper.ts";
import { startUiRig, waitForText, type UiRig } from "./harness.ts";

/**
 * Issue 21 item 4: the Appliance view says which appliance watches Marathon for the others,
 * since when, and which published version this one routes; when the leader goes, the page
 * follows the new one (this appliance) without a reload.
 */
setDefaultTimeout(60_000);

/** The page asks for the status every 3 s; a leader change takes a graceful stop and an election. */
const CHANGE_DEADLINE_MS = 15_000;

describe("the cluster on the Appliance view", () => {
  let zk: ZooKeeperServer;
  let leader: RunningAppliance;
  let rig: UiRig;

  beforeAll(async () => {
    zk = await startZooKeeper();
    const env = { BAMBOO_ZK_HOST: zk.connectionString, BAMBOO_ZK_PATH: "/ui-cluster/state" };
    rig = await startUiRig({
      env,
      // Another appliance starts first, so it leads and the page's appliance follows it.
      setup: async (sim) => {
        await sim.deployApp({ id: "/web", instances: 1 });
        leader = await startAppliance({ marathonUrl: sim.url, env });
        await leader.waitReady();
      },
    });
  }, 60_000);

  afterAll(async () => {
    await rig?.stop();
    await leader?.stop().catch(() => undefined);
    await zk?.stop();
  });

  const card = (title: string) => `section.card[aria-label="${title}"]`;

  test("a follower names its leader and the version it routes; Marathon is the leader's to watch", async () => {
    const page = await rig.open({ hash: "#state" });
    const cluster = card("Cluster (ZooKeeper)");
    await waitForText(page, cluster, (t) => t.includes("follows"), "the cluster card");
    const text = await page.locator(cluster).textContent();
    expect(text).toContain(`${rig.bamboo.env.BAMBOO_ENDPOINT}: follows: routes the apps the leader publishes`);
    expect(text).toContain(`Leader${leader.env.BAMBOO_ENDPOINT}, since`);
    expect(text).toMatch(/Apps version\d+, published .* ago, read .* ago/);
    expect(text).toContain("ZooKeeperconnected");
    expect(await page.locator(card("Marathon")).textContent()).toContain(`Watched by${leader.env.BAMBOO_ENDPOINT}`);
    expect(rig.pageErrors).toEqual([]);
  });

  test("the leader stopped: the page shows this appliance leading, with Marathon reached", async () => {
    const page = await rig.open({ hash: "#state" });
    await waitForText(page, card("Cluster (ZooKeeper)"), (t) => t.includes("follows"), "the cluster card");
    await leader.stop();
    await waitForText(page, card("Cluster (ZooKeeper)"), (t) => t.includes("leads: watches Marathon"), "this appliance leading", CHANGE_DEADLINE_MS);
    await waitForText(page, card("Cluster (ZooKeeper)"), (t) => t.includes("Leader's Marathonreached"), "Marathon reached", CHANGE_DEADLINE_MS);
    expect(await page.locator(card("Cluster (ZooKeeper)")).textContent()).toContain("Leaderthis appliance");
    await waitForText(page, card("Marathon"), (t) => t.includes("Event streamattached"), "the event stream attached here", CHANGE_DEADLINE_MS);
    expect(rig.pageErrors).toEqual([]);
  });
});
