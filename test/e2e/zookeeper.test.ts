import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper.ts";
import { TestPki } from "../support/certs.ts";
import { presentedFingerprint } from "../support/tls-probe.ts";
import { X509Certificate } from "node:crypto";

/** Issue 4: two appliances share one set of rules through one ZooKeeper. */
describe("two appliances on one ZooKeeper path", () => {
  let zk: ZooKeeperServer;
  let sim: MarathonSim;
  let first: RunningAppliance;
  let second: RunningAppliance;

  beforeAll(async () => {
    zk = await startZooKeeper();
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/ghost", instances: 2 });
    const env = { BAMBOO_ZK_HOST: `127.0.0.1:${zk.port}`, BAMBOO_ZK_PATH: "/marathon-haproxy/state" };
    [first, second] = await Promise.all([startAppliance({ marathonUrl: sim.url, env }), startAppliance({ marathonUrl: sim.url, env })]);
    await Promise.all([first.waitReady(), second.waitReady()]);
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await sim?.stop();
    await zk?.stop();
  });

  const tasks = () => sim.tasks("/ghost").map((t) => t.id).sort();
  const routesHost = (bamboo: RunningAppliance, host: string) => async () =>
    JSON.stringify([...(await spread(`${bamboo.http}/`, 6, { host })).keys()].sort()) === JSON.stringify(tasks());
  const put = (bamboo: RunningAppliance, acl: string) =>
    fetch(`${bamboo.api}/api/services`, { method: "POST", headers: bamboo.writer, body: JSON.stringify({ id: "/ghost", acl }) });

  // How fast is measured by scripts/bench, not asserted here (timed assertions flake under load).
  test("a rule written through one appliance is routed by the other", async () => {
    expect((await put(first, "hdr(host) -i ghost.local")).status).toBe(200);
    await eventually("the other appliance routes the host", routesHost(second, "ghost.local"), 10_000);
    const status = (await (await fetch(`${second.api}/api/status`, { headers: second.reader })).json()) as { store: { kind: string; connected: boolean } };
    expect(status.store).toMatchObject({ kind: "zookeeper", connected: true });
  });

  test("a certificate uploaded through one appliance is served by the other", async () => {
    const pki = new TestPki();
    try {
      const leaf = pki.leaf("ghost", ["ghost.local"]);
      const answer = await fetch(`${first.api}/api/certificates/ghost`, { method: "PUT", headers: first.writer, body: JSON.stringify({ pem: `${leaf.certificate}${leaf.chain}${leaf.key}` }) });
      expect(answer.status).toBe(200);
      const fingerprint = new X509Certificate(leaf.certificate).fingerprint256;
      await eventually("the other appliance serves it", async () => (await presentedFingerprint(second.httpsPort, "ghost.local")) === fingerprint, 10_000);
      // HAProxy presents it as soon as its runtime steps are done; the list says "served" once the apply is published, a moment later.
      const listed = async () => ((await (await fetch(`${second.api}/api/certificates`, { headers: second.reader })).json()) as { certificates: { name: string; served: boolean }[] }).certificates;
      await eventually("the other appliance lists it as served", async () => (await listed()).some((certificate) => certificate.name === "ghost" && certificate.served), 5_000);
      expect((await listed()).map((certificate) => certificate.name)).toEqual(["ghost"]);
    } finally {
      pki.cleanup();
    }
  });

  test("with ZooKeeper down both keep routing, writes get 503 and change nothing, and it heals", async () => {
    await zk.kill();
    await eventually("store seen as disconnected", async () => {
      const status = (await (await fetch(`${first.api}/api/status`, { headers: first.reader })).json()) as { store: { connected: boolean } };
      return !status.store.connected;
    }, 15_000);
    expect(await routesHost(first, "ghost.local")()).toBe(true);
    expect(await routesHost(second, "ghost.local")()).toBe(true);
    const refused = await put(first, "hdr(host) -i other.local");
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: string }).error).toContain("nothing was changed");
    await zk.restart();
    // Each appliance reconnects on its own backoff (up to 10 s after a long outage).
    const storeConnected = (bamboo: RunningAppliance) => async () =>
      ((await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as { store: { connected: boolean } }).store.connected;
    await eventually("the first appliance reconnected", storeConnected(first), 20_000);
    await eventually("writes accepted again", async () => (await put(second, "hdr(host) -i ghost2.local")).status === 200, 20_000);
    await eventually("the first appliance follows", routesHost(first, "ghost2.local"), 5_000);
  });
});
