/** MarathonClient against the simulator: addresses that really answer, auth, redirects, failover, errors. */
import { afterEach, describe, expect, test } from "bun:test";
import { MarathonClient } from "../../src/marathon/client.ts";
import { expectMarathonError } from "./builders.ts";
import { MarathonTransport, type MarathonConnection } from "../../src/marathon/transport.ts";
import { isRoutable, type App } from "../../src/marathon/types.ts";
import { MarathonSim, type SimOptions } from "../support/marathon-sim.ts";

const sims: MarathonSim[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

async function sim(options: SimOptions = {}): Promise<MarathonSim> {
  const s = await MarathonSim.start({ heartbeatMs: 0, ...options });
  sims.push(s);
  return s;
}

function connection(endpoints: string[], extra: Partial<MarathonConnection> = {}): MarathonTransport {
  return new MarathonTransport({ endpoints, user: "", password: "", authToken: "", caCertPath: "", requestTimeoutMs: 2_000, maxResponseBytes: 1024 * 1024, ...extra });
}

/** A port nothing listens on: bind one, note it, close it. */
function deadEndpoint(): string {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${server.port}`;
  server.stop(true);
  return url;
}


describe("addresses", () => {
  test.each(["host", "bridge", "container"] as const)("every %s task's address answers with that task's id", async (networking) => {
    const s = await sim();
    const tasks = await s.deployApp({ id: "/grp/web", instances: 2, networking });
    const { apps, problems } = await new MarathonClient(connection([s.url])).fetchApps();
    expect(problems).toEqual([]);
    const app = apps[0] as App;
    expect(app.id).toBe("/grp/web");
    expect(app.tasks.map((t) => t.id)).toEqual(tasks.map((t) => t.id).sort());
    for (const task of app.tasks) {
      expect(isRoutable(task)).toBe(true);
      const body = await (await fetch(`http://${task.host}:${task.ports[0]}/`)).text();
      expect(body).toBe(task.id);
    }
  });

  test("fetchApp returns one app, and null once Marathon says it does not exist", async () => {
    const s = await sim();
    await s.deployApp({ id: "/one", instances: 1 });
    const client = new MarathonClient(connection([s.url]));
    expect((await client.fetchApp("/one"))?.tasks).toHaveLength(1);
    await s.removeApp("/one");
    expect(await client.fetchApp("/one")).toBeNull();
    expect(s.requestLog.at(-1)?.search).toContain("embed=app.readiness");
  });

  test("a task being killed is listed as TASK_KILLING and is not routable", async () => {
    const s = await sim();
    const [task] = await s.deployApp({ id: "/k", instances: 1 });
    const killing = s.killTask(task!.id, { graceMs: 300 });
    const app = await new MarathonClient(connection([s.url])).fetchApp("/k");
    expect(app?.tasks.map((t) => [t.state, isRoutable(t)])).toEqual([["TASK_KILLING", false]]);
    await killing;
  });
});

describe("auth and redirects", () => {
  test("basic auth: the right password works, a wrong one says which setting to check", async () => {
    const s = await sim({ basicAuth: { user: "ops", password: "s3cret" } });
    await s.deployApp({ id: "/a", instances: 1 });
    expect((await new MarathonClient(connection([s.url], { user: "ops", password: "s3cret" })).fetchApps()).apps).toHaveLength(1);
    const error = await expectMarathonError(new MarathonClient(connection([s.url], { user: "ops", password: "nope" })).fetchApps());
    expect(error.status).toBe(401);
    expect(error.message).toContain("MARATHON_USER");
  });

  test("a DC/OS token is sent as 'Authorization: token=...'", async () => {
    const s = await sim({ token: "abc.def" });
    await s.deployApp({ id: "/a", instances: 1 });
    expect((await new MarathonClient(connection([s.url], { authToken: "abc.def" })).fetchApps()).apps).toHaveLength(1);
    expect(s.requestLog.at(-1)?.headers.authorization).toBe("token=abc.def");
  });

  test("a non-leader's redirect to the leader keeps the credentials", async () => {
    const auth = { user: "ops", password: "s3cret" };
    const leader = await sim({ basicAuth: auth });
    const follower = await sim({ basicAuth: auth, followerOf: leader, followerRest: "redirect" });
    await leader.deployApp({ id: "/a", instances: 2 });
    const client = new MarathonClient(connection([follower.url], auth));
    expect((await client.fetchApps()).apps[0]?.tasks).toHaveLength(2);
    expect(follower.requests("/v2/apps")).toBe(1);
    expect(leader.requestLog.at(-1)?.headers.authorization).toStartWith("Basic ");
  });

  test("a proxying non-leader works and names the leader", async () => {
    const leader = await sim();
    const follower = await sim({ followerOf: leader });
    await leader.deployApp({ id: "/a", instances: 1 });
    const client = new MarathonClient(connection([follower.url]));
    expect((await client.fetchApps()).apps).toHaveLength(1);
    expect(client.leader).toBe(leader.url);
  });
});

describe("a full list fetched again", () => {
  test("an app Marathon answers the same as one the caller holds is that object; a changed one is new", async () => {
    const s = await sim();
    await s.deployApp({ id: "/same", instances: 1 });
    await s.deployApp({ id: "/scaled", instances: 1 });
    const client = new MarathonClient(connection([s.url]));
    const first = (await client.fetchApps()).apps;
    await s.scale("/scaled", 2);
    const held = new Map(first.map((app) => [app.id, app]));
    const second = (await client.fetchApps((id) => held.get(id))).apps;
    expect(second[0]).toBe(first[0]!);
    expect(second[1]).not.toBe(first[1]!);
    expect(second[1]?.tasks).toHaveLength(2);
    // Without held apps every app is read anew.
    expect((await client.fetchApps()).apps[0]).not.toBe(first[0]!);
  });
});

describe("failover and errors", () => {
  test("a dead first endpoint does not stop anything, and the working one is tried first afterwards", async () => {
    const s = await sim();
    await s.deployApp({ id: "/a", instances: 1 });
    const client = new MarathonClient(connection([deadEndpoint(), s.url]));
    expect((await client.fetchApps()).apps).toHaveLength(1);
    expect(client.endpoint).toBe(s.url);
    await client.fetchApps();
    expect(s.requests("/v2/apps")).toBe(2);
  });

  test("502 without a leader is an error that names the URL and status (the caller keeps its state)", async () => {
    const s = await sim();
    s.failAll(502);
    const error = await expectMarathonError(new MarathonClient(connection([s.url])).fetchApps());
    expect(error.status).toBe(502);
    expect(error.message).toContain(`${s.url}/v2/apps`);
    expect(error.message).toContain("502");
    expect(error.message).toContain("no leader");
  });

  test("a request that gets no answer times out", async () => {
    const s = await sim();
    s.hangRequests(true);
    const error = await expectMarathonError(new MarathonClient(connection([s.url], { requestTimeoutMs: 150 })).fetchApps());
    expect(error.message).toContain("timed out after 150 ms");
    s.hangRequests(false);
  });

  test("a URL that is not Marathon's base says so instead of failing to parse", async () => {
    const s = await sim();
    const error = await expectMarathonError(new MarathonClient(connection([`${s.url}/marathon`])).fetchApps());
    expect(error.status).toBe(404);
    expect(error.message).toContain("base URL");
    const single = await expectMarathonError(new MarathonClient(connection([`${s.url}/marathon`])).fetchApp("/a"));
    expect(single.status).toBe(404);
  });

  test("nothing listening: the message says to check MARATHON_ENDPOINT", async () => {
    const error = await expectMarathonError(new MarathonClient(connection([deadEndpoint()])).fetchApps());
    expect(error.status).toBeNull();
    expect(error.message).toContain("MARATHON_ENDPOINT");
  });
});

describe("last known health across a leader failover", () => {
  test("an answer without health results keeps each task's last known health until Marathon reports again", async () => {
    const s = await sim();
    const tasks = await s.deployApp({ id: "/h", instances: 2, healthChecks: [{ path: "/health" }] });
    s.setHealth(tasks[1]!.id, false);
    const client = new MarathonClient(connection([s.url]));
    const alive = (app: App | undefined) => app?.tasks.map((t) => [t.id, t.alive, t.healthKnown]);
    const before = (await client.fetchApps()).apps[0];
    s.hideHealthResults(true);
    const during = (await client.fetchApps()).apps[0];
    expect(during?.tasks.map((t) => t.alive)).toEqual(before?.tasks.map((t) => t.alive) ?? []);
    expect(during?.tasks.every((t) => !t.healthKnown)).toBe(true);
    expect((await client.fetchApp("/h"))?.tasks.map((t) => t.alive)).toEqual(before?.tasks.map((t) => t.alive) ?? []);
    s.hideHealthResults(false);
    s.setHealth(tasks[1]!.id, true);
    expect(alive((await client.fetchApps()).apps[0])?.every(([, a, known]) => a && known)).toBe(true);
  });

  test("a task first seen without health results is not alive", async () => {
    const s = await sim();
    await s.deployApp({ id: "/h", instances: 1, healthChecks: [{ path: "/health" }] });
    s.hideHealthResults(true);
    const app = (await new MarathonClient(connection([s.url])).fetchApps()).apps[0];
    expect(app?.tasks.map((t) => t.alive)).toEqual([false]);
  });
});
