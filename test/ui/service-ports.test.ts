import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startUiRig, waitForText, type UiRig } from "./harness.ts";

/**
 * An app's page lists its service ports as HAProxy runs them: an HTTP and a TCP port with
 * their binds, and a port another app has, not listened on, with the reason.
 */
setDefaultTimeout(30_000);

const TWO_PORTS = [{ kind: "http", name: "http" }, { kind: "tcp" }] as const;
/** How long a Marathon change takes to reach HAProxy and the page (a reload, the stream, a read). */
const APPLIED_DEADLINE_MS = 10_000;

describe("an app's service ports on its page", () => {
  let rig: UiRig;
  /** /shop's service ports by index, as Marathon gave them. */
  let shopPorts: number[];

  beforeAll(async () => {
    rig = await startUiRig({
      setup: async (sim) => {
        await sim.deployApp({ id: "/shop", instances: 1, ports: TWO_PORTS });
        shopPorts = sim.servicePorts("/shop");
        // Sorted after /shop, so /shop keeps the port they ask for too: one by label, one as its own service port.
        await sim.deployApp({ id: "/shop-copy", instances: 1, ports: TWO_PORTS, labels: { HAPROXY_1_PORT: String(shopPorts[1]) } });
        await sim.deployApp({ id: "/shop-twin", instances: 1, ports: [TWO_PORTS[0], { ...TWO_PORTS[1], servicePort: shopPorts[1] }] });
        await sim.deployApp({ id: "/console", instances: 1, ports: [{ kind: "http", name: "http" }, { kind: "http", name: "admin" }], labels: { HAPROXY_1_VHOST: "admin.console.example" } });
      },
    });
  }, 30_000);

  afterAll(async () => {
    await rig?.stop();
  });

  const row = (index: number) => `.port-table tr[data-port-index="${index}"]`;

  test("an HTTP and a TCP port: a row each with its mode, why, where it listens and its backend", async () => {
    const page = await rig.open({ hash: "#/apps/shop" });
    const table = page.getByRole("table", { name: "Service ports" });
    await table.waitFor();
    const [http, tcp] = shopPorts as [number, number];
    const host = rig.bamboo.serviceHost;
    await waitForText(page, row(0), (t) => t.includes(`${host}:${http}`), "port 0's bind");
    expect(await page.locator(row(0)).textContent()).toBe(`port 0${http}HTTP (port name 'http')${host}:${http}::shop-cluster`);
    expect(await page.locator(row(1)).textContent()).toBe(`port 1${tcp}TCP (default)${host}:${tcp}::shop-cluster-port1`);
    // Column headers, and each row headed by its port, for screen readers.
    expect(await table.locator("thead th").allTextContents()).toEqual(["Port", "Service port", "Mode", "Listens on", "Backend"]);
    expect(await table.locator('tbody th[scope="row"]').allTextContents()).toEqual(["port 0", "port 1"]);
    expect(rig.pageErrors).toEqual([]);
  });

  test("a port another app has is not listened on, with the reason; freed, the next app in id order gets it while its page is open", async () => {
    const listensOn = (index: number) => `${row(index)} [data-label="Listens on"]`;
    const twin = await rig.open({ hash: "#/apps/shop-twin" });
    await waitForText(twin, listensOn(1), (t) => t.startsWith("not listened on"), "/shop-twin's port 1 not listened on");
    expect(await twin.locator(listensOn(1)).textContent()).toBe("not listened on: /shop has it");

    // Moved onto /shop's port by HAPROXY_1_PORT: the row says which port it asked for.
    const page = await rig.open({ hash: "#/apps/shop-copy" });
    await waitForText(page, listensOn(1), (t) => t.startsWith("not listened on"), "/shop-copy's port 1 not listened on");
    expect(await page.locator(listensOn(1)).textContent()).toBe(`not listened on port ${shopPorts[1]}: /shop has it`);
    // Its other port is its own.
    const own = rig.sim.servicePorts("/shop-copy")[0]!;
    expect(await page.locator(listensOn(0)).textContent()).toBe(`${rig.bamboo.serviceHost}:${own}`);

    await rig.sim.removeApp("/shop");
    await waitForText(page, listensOn(1), (t) => t === `${rig.bamboo.serviceHost}:${shopPorts[1]}`, "/shop-copy's port 1 listened on once /shop is gone", APPLIED_DEADLINE_MS);
    await waitForText(twin, listensOn(1), (t) => t === "not listened on: /shop-copy has it", "/shop-twin's reason naming the new owner", APPLIED_DEADLINE_MS);
    expect(rig.pageErrors).toEqual([]);
  });

  test("a later port routed by HAPROXY_1_VHOST shows the rule the HTTP frontend routes it by", async () => {
    const page = await rig.open({ hash: "#/apps/console" });
    const backend = `${row(1)} [data-label="Backend"]`;
    await waitForText(page, backend, (t) => t.includes("also routed"), "port 1's frontend rule");
    expect(await page.locator(backend).textContent()).toBe("::console-cluster-port1 also routed from the HTTP frontend by hdr(host) -i admin.console.example");
    expect(await page.locator(`${row(0)} [data-label="Backend"]`).textContent()).toBe("::console-cluster");
    expect(rig.pageErrors).toEqual([]);
  });

  test("at phone width each port is a card and nothing scrolls sideways", async () => {
    const page = await rig.open({ hash: "#/apps/shop-copy", width: 375, height: 740 });
    await page.locator(row(0)).waitFor();
    expect(await page.locator(`${row(0)} [data-label="Mode"]`).isVisible()).toBe(true);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
  });

  test("an app HAProxy does not run: the appliance's answer, not an empty table", async () => {
    const page = await rig.open({ hash: "#/apps/nowhere" });
    await waitForText(page, "main", (t) => t.includes("Service ports could not be read: HAProxy runs no app with id /nowhere"), "the 404 said in words");
    expect(await page.locator(".port-table").count()).toBe(0);
  });
});
