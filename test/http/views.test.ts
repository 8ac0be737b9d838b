import { describe, expect, test } from "bun:test";
import type { FanoutStatus } from "../../src/cluster/fanout.ts";
import { metricsOf, notReadyReason, problemsOf, statusOf, type LoopReadings } from "../../src/http/views.ts";
import { toTemplateData } from "../../src/routing/template-data.ts";
import { Histogram } from "../../src/system/histogram.ts";
import type { CertificateInfo, NamedCertificate } from "../../src/tls/certificate.ts";
import { TEMPLATE_SETTINGS } from "../routing/builders.ts";

const NOW = Date.parse("2026-11-29T12:00:00.000Z");
const DAY = 86_400_000;

/** What a certificate holds, as far as the views read it. */
function info(host: string, notAfterMs: number): CertificateInfo {
  return { hosts: [host], subject: `CN=${host}`, issuer: "CN=Test CA", notBefore: new Date(NOW - DAY), notAfter: new Date(notAfterMs), fingerprint: "AA:BB", pem: "" };
}

/** Readings of an appliance that is synced, serving and current; a test changes what it is about. */
function readings(changes: Partial<LoopReadings> = {}): LoopReadings {
  return {
    version: "0.1.0 (commit test)",
    nowMs: NOW,
    draining: false,
    staleUnreadyAfterMs: null,
    groups: { groups: [], ungrouped: "skip" },
    configPath: "/data/haproxy.cfg",
    marathon: { mode: "stream", endpoint: "http://m", leader: null, streamConnected: true, callbackRegistered: false, lastEventAt: null, lastError: null, reconnects: 0, eventsReceived: 3 },
    fanout: null,
    sync: { synced: true, lastSyncAt: null, lastFullSyncAt: null, lastError: null, holding: null, marathonRequests: 2, runs: 1, apps: 0 },
    marathonProblems: [],
    store: { kind: "file", connected: true, session: null, lastSync: null, lastError: null },
    haproxy: { status: "running", masterPid: 1, workerPid: 2, restarts: 0, reloads: 0, failedReloads: 0, lastReloadAt: null, lastReloadMs: null, lastError: null, version: "2.6", leftover: null },
    apply: {
      serving: true,
      runtimeOperations: 0,
      runtimeApplies: 0,
      reloads: 1,
      reloadReasons: { "first config": 1 },
      failedReloads: 0,
      invalidConfigs: 0,
      lastReloadAt: null,
      lastReloadMs: null,
      lastReloadReasons: [],
      lastError: null,
      configFileError: null,
    },
    applied: { snapshot: { apps: [], services: [], certificates: [] }, data: toTemplateData([], [], TEMPLATE_SETTINGS), problems: [], elsewhere: [], appliedAt: "2026-11-29T11:59:00.000Z" },
    pending: null,
    configVersion: () => "0123456789abcdef",
    tls: {
      httpsBind: ":443",
      default: { source: "generated", file: "/data/default-certificate.pem", info: info("localhost", NOW + 3650 * DAY) },
      known: { certificates: [], problems: [] },
      store: { kind: "file", connected: true, lastError: null },
    },
    durations: () => ({ eventToApplied: new Histogram().snapshot(), apply: new Histogram().snapshot(), reload: new Histogram().snapshot() }),
    process: () => ({ residentBytes: 1, cpuSeconds: 0, startTimeSeconds: 0 }),
    traffic: () => ({ status: { state: "ok", intervalMs: 5000, lastSampleAt: null, lastCostMs: 0 }, totals: new Map() }),
    ...changes,
  };
}

const refused = { sinceMs: NOW - 90_000, reason: "HAProxy refuses the generated config: balance only supports ...", apps: 2, refused: true };

describe("notReadyReason", () => {
  test.each([
    ["current", readings(), ""],
    ["draining", readings({ draining: true }), "shutting down"],
    ["before the first sync", readings({ sync: { ...readings().sync, synced: false } }), "waiting for the first Marathon sync"],
    ["no config yet", readings({ apply: { ...readings().apply, serving: false } }), "HAProxy has no valid config yet"],
    ["HAProxy restarting", readings({ haproxy: { ...readings().haproxy, status: "restarting" } }), "HAProxy is not running"],
    ["stale, but the setting is off", readings({ pending: refused }), ""],
    ["stale for less than the setting", readings({ pending: refused, staleUnreadyAfterMs: 120_000 }), ""],
    ["stale for longer than the setting", readings({ pending: refused, staleUnreadyAfterMs: 60_000 }), "the wanted config has not been applied for 90 s (BAMBOO_STALE_UNREADY_AFTER): HAProxy refuses"],
  ])("%s", (_name, input, expected) => {
    if (expected === "") expect(notReadyReason(input)).toBe("");
    else expect(notReadyReason(input)).toStartWith(expected);
  });
});

describe("problemsOf", () => {
  test("a current appliance has none", () => {
    expect(problemsOf(readings())).toEqual([]);
  });

  test("a pending change, a lagging file, a held list and unreadable entries are each one problem", () => {
    const messages = problemsOf(
      readings({
        pending: refused,
        apply: { ...readings().apply, configFileError: "could not write /data/haproxy.cfg: ENOSPC" },
        sync: { ...readings().sync, holding: "Marathon listed 0 of the 100 known apps" },
        marathonProblems: [{ id: "/x", message: "Marathon's entry: instances should be a number" }],
      }),
    ).map((problem) => problem.message);
    expect(messages).toHaveLength(4);
    expect(messages[0]).toBe(`not applied: ${refused.reason}; the previous config keeps serving`);
    expect(messages[1]).toContain("ENOSPC");
    expect(messages[2]).toContain("0 of the 100");
    expect(messages[3]).toContain("instances");
  });

  test("with nothing serving, a refused change does not claim a previous config keeps serving", () => {
    const [problem] = problemsOf(readings({ pending: refused, apply: { ...readings().apply, serving: false } }));
    expect(problem!.message).toBe(`not applied: ${refused.reason}`);
  });
});

describe("statusOf and metricsOf", () => {
  test("the running config's version and a pending change with its age", () => {
    const status = statusOf(readings({ pending: refused }));
    expect(status.config).toEqual({
      version: "0123456789abcdef",
      appliedAt: "2026-11-29T11:59:00.000Z",
      apps: 0,
      groups: null,
      pending: { since: "2026-11-29T11:58:30.000Z", seconds: 90, reason: refused.reason, apps: 2, retrying: false },
      fileError: null,
      servicePorts: { http: 0, tcp: 0 },
    });
    expect(status.ready).toBe(true);
    expect(metricsOf(readings({ pending: refused })).configPendingSeconds).toBe(90);
    expect(metricsOf(readings()).configPendingSeconds).toBe(0);
    expect(metricsOf(readings({ pending: refused })).problems).toBe(1);
  });

  test("the version is computed only when the status is asked for", () => {
    let hashed = 0;
    const input = readings({ configVersion: () => (hashed++, "v") });
    notReadyReason(input);
    metricsOf(input);
    expect(hashed).toBe(0);
    statusOf(input);
    expect(hashed).toBe(1);
  });
});

describe("certificates in the views", () => {
  const serving = (...certificates: NamedCertificate[]) => {
    const base = readings();
    return readings({ applied: { ...base.applied, snapshot: { ...base.applied.snapshot, certificates } } });
  };

  test.each([
    ["expired", NOW - DAY, /certificate api\/shop expired on .*: clients get a certificate error; replace it/],
    ["expiring in 5 days", NOW + 5 * DAY + 1000, /certificate api\/shop expires on .*, in 5 days: renew it/],
  ])("a served certificate %s is a problem", (_name, notAfter, message) => {
    const problems = problemsOf(serving({ name: "shop", source: "api", info: info("shop.example", notAfter) }));
    expect(problems.map((problem) => problem.message)).toEqual([expect.stringMatching(message)]);
  });

  test("one that expires in a month is not, and HTTPS is reported on with its certificates", () => {
    const now = serving({ name: "shop", source: "api", info: info("shop.example", NOW + 30 * DAY) });
    expect(problemsOf(now)).toEqual([]);
    expect(statusOf(now).https).toMatchObject({ enabled: true, bind: ":443", certificates: 1, defaultCertificate: { source: "generated" } });
    expect(statusOf(readings()).https.enabled).toBe(false);
  });

  test("a certificate that cannot be served is a problem naming its file", () => {
    const base = readings();
    const now = readings({ tls: { ...base.tls, known: { certificates: [], problems: [{ source: "dir", name: "/certs/bad.pem", message: "no private key" }] } } });
    expect(problemsOf(now).map((problem) => problem.message)).toEqual(["certificate dir//certs/bad.pem: no private key"]);
  });

  test("the expiry metric lists every served certificate and the default one", () => {
    const metrics = metricsOf(serving({ name: "shop", source: "dir", info: info("shop.example", NOW + 30 * DAY) }));
    expect(metrics.certificates).toEqual([
      { name: "shop", source: "dir", notAfterSeconds: (NOW + 30 * DAY) / 1000 },
      { name: "default", source: "default", notAfterSeconds: (NOW + 3650 * DAY) / 1000 },
    ]);
  });
});

describe("the fanout in the views (BAMBOO_MARATHON_FANOUT)", () => {
  const follower: FanoutStatus = {
    role: "follower",
    since: "2026-11-29T11:00:00.000Z",
    name: "agent-7:8000",
    leader: { name: "agent-1:8000", since: "2026-11-29T10:00:00.000Z" },
    version: 42,
    publishedAt: "2026-11-29T11:59:59.000Z",
    readAt: "2026-11-29T11:59:59.010Z",
    leaderMarathon: { connected: true, lastError: null, lastSyncAt: "2026-11-29T11:59:00.000Z" },
    connected: true,
    lastError: null,
  };

  test("a follower in touch with a leader that reaches Marathon has no problem; /api/status says whom it follows", () => {
    const current = readings({ fanout: follower });
    expect(problemsOf(current)).toEqual([]);
    expect(statusOf(current).cluster).toEqual(follower);
    expect(metricsOf(current).fanout).toEqual({ leader: false, version: 42 });
  });

  test.each([
    ["cut off from ZooKeeper", { connected: false }, "cut off from ZooKeeper: routing the apps of version 42, published 2026-11-29T11:59:59.000Z by agent-1:8000"],
    ["told by the leader that Marathon is gone", { leaderMarathon: { connected: false, lastError: "connect ECONNREFUSED", lastSyncAt: null } }, "the leader (agent-1:8000) does not reach Marathon: connect ECONNREFUSED; routing the apps of version 42, published 2026-11-29T11:59:59.000Z by agent-1:8000"],
    ["unable to read what is published", { lastError: "reading the published apps: bucket 3 does not read" }, "reading the published apps: bucket 3 does not read"],
  ])("a follower %s says so, with what it routes", (_name, changes, message) => {
    expect(problemsOf(readings({ fanout: { ...follower, ...changes } as FanoutStatus })).map((problem) => problem.message)).toEqual([message]);
  });

  test("before the first version, a follower waits for the leader's apps, not for Marathon", () => {
    const waiting = readings({ fanout: { ...follower, version: null, leader: null }, sync: { ...readings().sync, synced: false } });
    expect(notReadyReason(waiting)).toBe("waiting for the first apps the leader publishes in ZooKeeper");
  });
});

