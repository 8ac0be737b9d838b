import { describe, expect, test } from "bun:test";
import type { App } from "../../src/marathon/types.ts";
import { makeService, type Service } from "../../src/store/types.ts";
import type { FullAppList } from "../../src/sync/app-list.ts";
import { Reconciler, type Snapshot } from "../../src/sync/reconciler.ts";
import { silentLogger } from "../../src/system/log.ts";
import { app, task } from "../routing/builders.ts";

/** A Marathon that answers from a map and counts requests; `failing` makes it answer with errors. */
class FakeMarathon {
  apps = new Map<string, App>();
  fullFetches = 0;
  appFetches = 0;
  failing = false;
  unreadable: string[] = [];
  async fetchApps(): Promise<FullAppList> {
    this.fullFetches++;
    if (this.failing) throw new Error("502 no leader");
    return { apps: [...this.apps.values()], unreadable: this.unreadable };
  }
  async fetchApp(id: string): Promise<App | null> {
    this.appFetches++;
    if (this.failing) throw new Error("502 no leader");
    return this.apps.get(id) ?? null;
  }
}

function setup(initial: App[] = [], services: Service[] = []) {
  const marathon = new FakeMarathon();
  for (const a of initial) marathon.apps.set(a.id, a);
  const applied: { snapshot: Snapshot; reasons: readonly string[] }[] = [];
  let currentServices = services;
  const reconciler = new Reconciler({
    marathon,
    services: () => currentServices,
    certificates: () => [],
    apply: async (snapshot, reasons) => {
      applied.push({ snapshot, reasons });
      return { kind: "unchanged" } as const;
    },
    log: silentLogger,
    settings: { coalesceMs: 5, resyncIntervalMs: 3_600_000, maxAppFetches: 20, lazyResyncMs: 50, confirmShrinkAbove: 0.5, confirmShrinkMs: 100 },
  });
  return { marathon, applied, reconciler, setServices: (next: Service[]) => (currentServices = next) };
}

const ids = (snapshot: Snapshot) => snapshot.apps.map((a) => a.id);

describe("Reconciler", () => {
  test("starts with one full fetch and applies it", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/b" }), app({ id: "/a" })]);
    reconciler.start();
    await reconciler.whenIdle();
    reconciler.stop();
    expect(marathon.fullFetches).toBe(1);
    expect(applied).toHaveLength(1);
    expect(ids(applied[0]!.snapshot)).toEqual(["/a", "/b"]);
    expect(reconciler.status().synced).toBe(true);
  });

  test("the first run waits for the stream's first notice: one full fetch, not two", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/a" })]);
    reconciler.start(60_000);
    reconciler.notify({ kind: "all", reason: "stream connected" });
    await reconciler.whenIdle();
    reconciler.stop();
    expect(marathon.fullFetches).toBe(1);
    expect(applied).toHaveLength(1);
  });

  test("without a notice, the first run starts when the wait ends", async () => {
    const { marathon, reconciler } = setup([app({ id: "/a" })]);
    reconciler.start(30);
    expect(marathon.fullFetches).toBe(0);
    await reconciler.whenIdle();
    reconciler.stop();
    expect(marathon.fullFetches).toBe(1);
  });

  test("an event naming an app refetches that app only", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/a" }), app({ id: "/b" })]);
    reconciler.start();
    await reconciler.whenIdle();
    marathon.apps.set("/a", app({ id: "/a", tasks: [task({ id: "a.1" })] }));
    reconciler.notify({ kind: "app", appId: "/a" });
    await reconciler.whenIdle();
    reconciler.stop();
    expect(marathon.fullFetches).toBe(1);
    expect(marathon.appFetches).toBe(1);
    expect(applied.at(-1)!.snapshot.apps.find((a) => a.id === "/a")!.tasks).toHaveLength(1);
    expect(applied.at(-1)!.reasons).toEqual(["app /a changed"]);
  });

  test("a burst of 1,000 events costs a bounded number of requests and applies", async () => {
    const apps = Array.from({ length: 10 }, (_, i) => app({ id: `/app${i}` }));
    const { marathon, applied, reconciler } = setup(apps);
    reconciler.start();
    await reconciler.whenIdle();
    for (let i = 0; i < 1000; i++) reconciler.notify({ kind: "app", appId: `/app${i % 10}` });
    await reconciler.whenIdle();
    reconciler.stop();
    expect(marathon.appFetches).toBeLessThanOrEqual(10);
    expect(applied.length).toBeLessThanOrEqual(2);
  });

  test("an app Marathon answers unchanged keeps its object; a changed one is replaced", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/a" }), app({ id: "/b" })]);
    reconciler.start();
    await reconciler.whenIdle();
    const [a, b] = applied[0]!.snapshot.apps;
    // A full resync parses fresh objects for every app, equal or not.
    marathon.apps.set("/a", app({ id: "/a" }));
    marathon.apps.set("/b", app({ id: "/b", tasks: [task({ id: "b.1" })] }));
    reconciler.notify({ kind: "all", reason: "periodic resync" });
    await reconciler.whenIdle();
    reconciler.stop();
    const [a2, b2] = applied.at(-1)!.snapshot.apps;
    expect(a2).toBe(a!);
    expect(b2).not.toBe(b!);
    expect(b2!.tasks).toHaveLength(1);
  });

  test("a deployment's apps are refetched one by one, at once", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/a" }), app({ id: "/b" }), app({ id: "/c" })]);
    reconciler.start();
    await reconciler.whenIdle();
    reconciler.notify({ kind: "apps", appIds: ["/a", "/b"], reason: "deployment_success" });
    await reconciler.whenIdle();
    reconciler.stop();
    expect(marathon.fullFetches).toBe(1);
    expect(marathon.appFetches).toBe(2);
    expect(applied.at(-1)!.reasons).toEqual(["deployment_success: /a, /b"]);
  });

  test("many stale apps are fetched with one full request instead", async () => {
    const apps = Array.from({ length: 50 }, (_, i) => app({ id: `/app${i}` }));
    const { marathon, reconciler } = setup(apps);
    reconciler.start();
    await reconciler.whenIdle();
    for (const a of apps) reconciler.notify({ kind: "app", appId: a.id });
    await reconciler.whenIdle();
    reconciler.stop();
    expect(marathon.fullFetches).toBe(2);
    expect(marathon.appFetches).toBe(0);
  });

  test("an app Marathon no longer knows is removed", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/a" }), app({ id: "/b" })]);
    reconciler.start();
    await reconciler.whenIdle();
    marathon.apps.delete("/b");
    reconciler.notify({ kind: "app", appId: "/b" });
    await reconciler.whenIdle();
    reconciler.stop();
    expect(ids(applied.at(-1)!.snapshot)).toEqual(["/a"]);
  });

  test("a failing Marathon keeps the last known apps and the change is retried", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/a", tasks: [task({ id: "a.1" })] })]);
    reconciler.start();
    await reconciler.whenIdle();
    marathon.failing = true;
    reconciler.notify({ kind: "all", reason: "stream connected" });
    // Wait for the failure to be recorded, then heal Marathon.
    const deadline = Date.now() + 5_000;
    while (reconciler.status().lastError === null && Date.now() < deadline) await Bun.sleep(1);
    expect(reconciler.status().lastError).toContain("502 no leader");
    expect(applied).toHaveLength(1);
    expect(reconciler.apps().map((a) => a.id)).toEqual(["/a"]);
    marathon.failing = false;
    marathon.apps.set("/c", app({ id: "/c" }));
    await reconciler.whenIdle();
    reconciler.stop();
    expect(ids(applied.at(-1)!.snapshot)).toEqual(["/a", "/c"]);
    expect(reconciler.status().lastError).toBeNull();
  });

  test("a deployment's end triggers one lazy full fetch, while app changes go ahead at once", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/a" })]);
    reconciler.start();
    await reconciler.whenIdle();
    for (let i = 0; i < 20; i++) reconciler.notify({ kind: "all", reason: "deployment_success", lazy: true });
    reconciler.notify({ kind: "app", appId: "/a" });
    await reconciler.whenIdle();
    reconciler.stop();
    expect(marathon.fullFetches).toBe(2);
    expect(marathon.appFetches).toBe(1);
    expect(applied.slice(1).map((a) => a.reasons)).toEqual([["app /a changed"], ["deployment_success"]]);
  });

  test("a change of routing rules applies without asking Marathon", async () => {
    const { marathon, applied, reconciler, setServices } = setup([app({ id: "/a" })]);
    reconciler.start();
    await reconciler.whenIdle();
    setServices([makeService("/a", "hdr(host) -i a.local")]);
    reconciler.servicesChanged();
    await reconciler.whenIdle();
    reconciler.stop();
    expect(marathon.fullFetches + marathon.appFetches).toBe(1);
    expect(applied.at(-1)!.snapshot.services.map((s) => s.acl)).toEqual(["hdr(host) -i a.local"]);
    // The same apps, as the same list: compile keys its work on it (compile/compiler.ts).
    expect(applied.at(-1)!.snapshot.apps).toBe(applied[0]!.snapshot.apps);
  });

  test("the app list is a new one exactly when an app changed", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/a" }), app({ id: "/b" })]);
    reconciler.start();
    await reconciler.whenIdle();
    reconciler.notify({ kind: "app", appId: "/a" });
    await reconciler.whenIdle();
    expect(applied[1]!.snapshot.apps).toBe(applied[0]!.snapshot.apps);
    marathon.apps.set("/a", app({ id: "/a", instances: 3 }));
    reconciler.notify({ kind: "app", appId: "/a" });
    await reconciler.whenIdle();
    reconciler.stop();
    expect(applied[2]!.snapshot.apps).not.toBe(applied[1]!.snapshot.apps);
    expect(applied[2]!.snapshot.apps.map((a) => a.instances)).toEqual([3, app({ id: "/b" }).instances]);
  });
});

describe("Reconciler retries", () => {
  test("a failed apply is retried with the same snapshot until it works", async () => {
    const marathon = new FakeMarathon();
    marathon.apps.set("/a", app({ id: "/a" }));
    let attempts = 0;
    const reconciler = new Reconciler({
      marathon,
      services: () => [],
      certificates: () => [],
      apply: async () => {
        attempts++;
        // Both ways a failure comes back: a rejection (a full disk) and a failed outcome.
        if (attempts === 1) throw new Error("could not write haproxy.cfg: ENOSPC");
        if (attempts === 2) return { kind: "failed", message: "HAProxy did not start: address already in use" } as const;
        return { kind: "started" } as const;
      },
      log: silentLogger,
      settings: { coalesceMs: 1, resyncIntervalMs: 3_600_000, maxAppFetches: 20, lazyResyncMs: 50, confirmShrinkAbove: 0.5, confirmShrinkMs: 100 },
    });
    reconciler.start();
    const deadline = Date.now() + 10_000;
    while (!reconciler.status().synced && Date.now() < deadline) await reconciler.whenIdle().then(() => Bun.sleep(5));
    reconciler.stop();
    expect(attempts).toBe(3);
    expect(reconciler.status().synced).toBe(true);
    expect(marathon.fullFetches).toBe(1);
  });
});

/** Polls `check` until it holds; the reconciler's timers decide when, not the test. */
async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

describe("Reconciler and shrinking app lists", () => {
  const hundred = () => Array.from({ length: 100 }, (_, i) => app({ id: `/app${String(i).padStart(3, "0")}` }));

  test("an emptied list keeps every route until a second fetch agrees, then applies it", async () => {
    const { marathon, applied, reconciler } = setup(hundred());
    reconciler.start();
    await reconciler.whenIdle();
    marathon.apps.clear();
    reconciler.notify({ kind: "all", reason: "leader changed" });
    await reconciler.whenIdle();
    expect(applied.at(-1)!.snapshot.apps).toHaveLength(100);
    expect(reconciler.status().holding).toContain("0 of the 100 known apps");
    const fetchesBefore = marathon.fullFetches;
    await until(() => applied.at(-1)!.snapshot.apps.length === 0, "the confirmed empty list to be applied");
    reconciler.stop();
    expect(marathon.fullFetches).toBe(fetchesBefore + 1);
    expect(reconciler.status().holding).toBeNull();
  });

  test("a list that comes back before the confirming fetch is applied and the hold ends", async () => {
    const { marathon, applied, reconciler } = setup(hundred());
    reconciler.start();
    await reconciler.whenIdle();
    const all = [...marathon.apps.values()];
    for (const a of all.slice(0, 60)) marathon.apps.delete(a.id);
    reconciler.notify({ kind: "all", reason: "leader changed" });
    await reconciler.whenIdle();
    expect(reconciler.status().holding).toContain("40 of the 100 known apps");
    for (const a of all) marathon.apps.set(a.id, a);
    await until(() => reconciler.status().holding === null, "the hold to end");
    reconciler.stop();
    expect(applied.every((entry) => entry.snapshot.apps.length === 100)).toBe(true);
  });

  test("removing up to the threshold applies at once", async () => {
    const { marathon, applied, reconciler } = setup(hundred());
    reconciler.start();
    await reconciler.whenIdle();
    for (const a of [...marathon.apps.values()].slice(0, 50)) marathon.apps.delete(a.id);
    reconciler.notify({ kind: "all", reason: "apps destroyed" });
    await reconciler.whenIdle();
    reconciler.stop();
    expect(applied.at(-1)!.snapshot.apps).toHaveLength(50);
    expect(reconciler.status().holding).toBeNull();
  });

  test("rule changes still apply while a shrink is held", async () => {
    const { marathon, applied, reconciler, setServices } = setup(hundred());
    reconciler.start();
    await reconciler.whenIdle();
    marathon.apps.clear();
    reconciler.notify({ kind: "all", reason: "leader changed" });
    await reconciler.whenIdle();
    setServices([makeService("/app000", "hdr(host) -i a.example")]);
    reconciler.servicesChanged();
    await reconciler.whenIdle();
    reconciler.stop();
    expect(applied.at(-1)!.snapshot.services).toHaveLength(1);
    expect(applied.at(-1)!.snapshot.apps).toHaveLength(100);
  });

  test("an entry that cannot be read keeps its app's last known version", async () => {
    const { marathon, applied, reconciler } = setup([app({ id: "/a", tasks: [task({ id: "a.1" })] }), app({ id: "/b" })]);
    reconciler.start();
    await reconciler.whenIdle();
    marathon.apps.delete("/a");
    marathon.unreadable = ["/a"];
    reconciler.notify({ kind: "all", reason: "periodic resync" });
    await reconciler.whenIdle();
    expect(applied.at(-1)!.snapshot.apps.find((a) => a.id === "/a")!.tasks).toHaveLength(1);
    marathon.unreadable = [""];
    marathon.apps.delete("/b");
    reconciler.notify({ kind: "all", reason: "periodic resync" });
    await reconciler.whenIdle();
    reconciler.stop();
    // An entry without a readable id could be any app: none counts as removed.
    expect(ids(applied.at(-1)!.snapshot)).toEqual(["/a", "/b"]);
  });
});
