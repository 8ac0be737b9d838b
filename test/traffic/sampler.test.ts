import { describe, expect, test } from "bun:test";
import type { TrafficSample } from "../../src/http/ui/api-types.ts";
import { parseStatCsv } from "../../src/haproxy/stat-csv.ts";
import { TrafficSampler, type TrafficSamplerDeps } from "../../src/traffic/sampler.ts";

/** A `show stat` answer in HAProxy 2.6's column order, with only the columns the sampler reads filled. */
const HEADER = "# pxname,svname,stot,type,hrsp_5xx,req_tot,rtime,addr,mode,status";
type Row = [proxy: string, name: string, type: 0 | 1 | 2, requests: number, errors: number, rtime: number | "", addr: string, status: string];
const csv = (rows: Row[]) => [HEADER, ...rows.map(([proxy, name, type, requests, errors, rtime, addr, status]) => `${proxy},${name},${requests},${type},${errors},${requests},${rtime},${addr},http,${status}`), "", ""].join("\n");

/** A fake HAProxy whose counters the test sets; it records what it was asked. */
function fakeHAProxy() {
  return { frontend: 0, backends: [] as Row[], servers: new Map<string, Row[]>(), generation: 1, asked: [] as string[] };
}

function sampler(haproxy: ReturnType<typeof fakeHAProxy>, clock: { now: number }, overrides: Partial<TrafficSamplerDeps> = {}) {
  const ask = async (command: string) => answer(haproxy, command);
  return new TrafficSampler(
    { intervalMs: 1000, windowMs: 10_000, serverSplitLimit: 1 },
    {
      readStat: async (command, onRow) => {
        for (const row of await parseStatCsv(answer(haproxy, command))) onRow(row);
      },
      askEach: async (commands) => Promise.all(commands.map(ask)),
      running: () => true,
      generation: () => haproxy.generation,
      apps: () => APPS,
      log: { debug() {}, info() {}, warn() {}, error() {} } as never,
      now: () => clock.now,
      ...overrides,
    },
  );
}

function answer(haproxy: ReturnType<typeof fakeHAProxy>, command: string): string {
  haproxy.asked.push(command);
  if (command === "show stat -1 1 -1") return csv([["http-in", "FRONTEND", 0, haproxy.frontend, 0, "", "", "OPEN"]]);
  if (command === "show stat -1 2 -1") return csv(haproxy.backends);
  const proxy = /^show stat (\S+) 4 -1$/.exec(command)?.[1];
  if (proxy !== undefined) return csv(haproxy.servers.get(proxy) ?? []);
  throw new Error(`unexpected command ${command}`);
}

const APPS = [{ Id: "/shop", EscapedId: "::shop" }, { Id: "/shop/api", EscapedId: "::shop::api" }, { Id: "/web", EscapedId: "::web" }];

describe("TrafficSampler", () => {
  test("the first reading sets where counting starts; later ones give rates per app by backend name", async () => {
    const haproxy = fakeHAProxy();
    const clock = { now: 0 };
    const traffic = sampler(haproxy, clock);
    const samples: TrafficSample[] = [];
    traffic.onSample((sample) => samples.push(sample));
    haproxy.frontend = 500;
    haproxy.backends = [["::shop-cluster", "BACKEND", 1, 400, 4, 10, "", "UP"], ["::shop::api-cluster", "BACKEND", 1, 100, 0, 20, "", "UP"], ["stats", "BACKEND", 1, 7, 0, 0, "", "UP"]];
    await traffic.sample();
    expect(samples).toEqual([]);

    clock.now = 2000;
    haproxy.frontend = 530;
    haproxy.backends = [["::shop-cluster", "BACKEND", 1, 420, 6, 12, "", "UP"], ["::shop::api-cluster", "BACKEND", 1, 110, 0, 20, "", "UP"], ["stats", "BACKEND", 1, 7, 0, 0, "", "UP"]];
    await traffic.sample();
    expect(samples.at(-1)).toEqual({ at: 2000, sampling: { state: "ok" }, totals: [15, 1, 14.666666666666666], apps: { "/shop": [10, 1, 12], "/shop/api": [5, 0, 20] } });
    expect(traffic.totals()).toEqual(new Map([["/shop", { requests: 20, errors: 2, responseMs: 12 }], ["/shop/api", { requests: 10, errors: 0, responseMs: 20 }]]));
  });

  test("skips the backends' dump when no frontend counted a request, and records a quiet sample", async () => {
    const haproxy = fakeHAProxy();
    const clock = { now: 0 };
    const traffic = sampler(haproxy, clock);
    haproxy.backends = [["::web-cluster", "BACKEND", 1, 0, 0, 0, "", "UP"]];
    await traffic.sample();
    clock.now = 1000;
    haproxy.asked.length = 0;
    const samples: TrafficSample[] = [];
    traffic.onSample((sample) => samples.push(sample));
    await traffic.sample();
    expect(haproxy.asked).toEqual(["show stat -1 1 -1"]);
    expect(samples).toEqual([{ at: 1000, sampling: { state: "ok" }, totals: [0, 0, null], apps: {} }]);
  });

  test("a new worker (reload) starts its counters at zero: what it shows is all new", async () => {
    const haproxy = fakeHAProxy();
    const clock = { now: 0 };
    const traffic = sampler(haproxy, clock);
    haproxy.frontend = 1000;
    haproxy.backends = [["::web-cluster", "BACKEND", 1, 1000, 0, 5, "", "UP"]];
    await traffic.sample();
    clock.now = 1000;
    haproxy.generation = 2;
    haproxy.frontend = 1000;
    haproxy.backends = [["::web-cluster", "BACKEND", 1, 3, 0, 5, "", "UP"]];
    const samples: TrafficSample[] = [];
    traffic.onSample((sample) => samples.push(sample));
    await traffic.sample();
    // Same frontend total as before, but another worker: its counters are read anyway.
    expect(samples.at(-1)?.apps).toEqual({ "/web": [3, 0, 5] });
  });

  test("splits the busiest app by server, from the second time its servers are read; free slots in MAINT are left out", async () => {
    const haproxy = fakeHAProxy();
    const clock = { now: 0 };
    const traffic = sampler(haproxy, clock);
    const at = (now: number, web: number, shop: number, s0: number) => {
      clock.now = now;
      haproxy.frontend = web + shop;
      haproxy.backends = [["::web-cluster", "BACKEND", 1, web, 0, 5, "", "UP"], ["::shop-cluster", "BACKEND", 1, shop, 0, 5, "", "UP"]];
      haproxy.servers.set("::web-cluster", [["::web-cluster", "s0", 2, s0, 0, 5, "10.0.0.1:31000", "UP"], ["::web-cluster", "s1", 2, 0, 0, "", "10.0.0.9:1", "MAINT"]]);
    };
    at(0, 0, 0, 0);
    await traffic.sample();
    at(1000, 100, 10, 100);
    await traffic.sample();
    expect(haproxy.asked.filter((command) => command.includes(" 4 -1"))).toEqual(["show stat ::web-cluster 4 -1"]);
    expect(traffic.window.servers("/web")).toBeNull();
    at(2000, 150, 20, 150);
    await traffic.sample();
    expect(traffic.window.servers("/web")).toEqual([{ name: "s0", address: "10.0.0.1:31000", points: [null, [50, 0, 5]] }]);
    expect(traffic.window.servers("/shop")).toBeNull();
    // A quiet sample: the servers answered nothing, which is 0, not a gap.
    clock.now = 3000;
    await traffic.sample();
    expect(traffic.window.servers("/web")).toEqual([{ name: "s0", address: "10.0.0.1:31000", points: [null, [50, 0, 5], [0, 0, null]] }]);
  });

  test("a failing runtime API is reported, logged once, and recovers", async () => {
    const haproxy = fakeHAProxy();
    const warnings: string[] = [];
    let broken = true;
    const traffic = sampler(haproxy, { now: 0 }, {
      readStat: async (command, onRow) => {
        if (broken) throw new Error("connect ECONNREFUSED");
        for (const row of await parseStatCsv(answer(haproxy, command))) onRow(row);
      },
      log: { debug() {}, info() {}, warn: (message: string) => warnings.push(message), error() {} } as never,
    });
    await traffic.sample();
    await traffic.sample();
    expect(traffic.status()).toMatchObject({ state: "failing", message: "cannot read HAProxy's counters: connect ECONNREFUSED" });
    expect(warnings).toEqual(["traffic sampling failing"]);
    broken = false;
    await traffic.sample();
    expect(traffic.status().state).toBe("ok");
  });

  test("HAProxy starting is no recovery to log; a failure after it is logged all the same", async () => {
    const logged: string[] = [];
    let running = false;
    let broken = false;
    const haproxy = fakeHAProxy();
    const traffic = sampler(haproxy, { now: 0 }, {
      running: () => running,
      readStat: async (command, onRow) => {
        if (broken) throw new Error("connect ECONNREFUSED");
        for (const row of await parseStatCsv(answer(haproxy, command))) onRow(row);
      },
      log: { debug() {}, info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), error() {} } as never,
    });
    await traffic.sample();
    running = true;
    await traffic.sample();
    expect(logged).toEqual([]);
    broken = true;
    await traffic.sample();
    expect(logged).toEqual(["traffic sampling failing"]);
  });

  test("says so while HAProxy is not running, without logging it as a failure", async () => {
    const warnings: string[] = [];
    const traffic = sampler(fakeHAProxy(), { now: 0 }, { running: () => false, log: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} } as never });
    await traffic.sample();
    expect(traffic.status()).toMatchObject({ state: "failing", message: "HAProxy is not running: no traffic to read" });
    expect(warnings).toEqual([]);
  });

  test("off when the interval is 0", () => {
    const traffic = sampler(fakeHAProxy(), { now: 0 });
    expect(traffic.status().state).toBe("ok");
    const off = new TrafficSampler({ intervalMs: 0, windowMs: 1000, serverSplitLimit: 1 }, {} as TrafficSamplerDeps);
    expect(off.status()).toMatchObject({ state: "off" });
  });
});
