/** MarathonWatcher against the simulator: events become changes, and the stream heals itself. */
import { afterEach, describe, expect, test } from "bun:test";
import { MarathonClient } from "../../src/marathon/client.ts";
import type { MarathonChange } from "../../src/marathon/types.ts";
import { MarathonTransport, type MarathonConnection } from "../../src/marathon/transport.ts";
import { MarathonWatcher, type WatcherSettings } from "../../src/marathon/watcher.ts";
import { MarathonSim, type SimOptions } from "../support/marathon-sim.ts";
import { waitFor } from "../support/marathon-wait.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sim(options: SimOptions = {}): Promise<MarathonSim> {
  const s = await MarathonSim.start({ heartbeatMs: 50, ...options });
  cleanups.push(() => s.stop());
  return s;
}

type Settings = MarathonConnection & WatcherSettings;

function settings(endpoints: string[], extra: Partial<Settings> = {}): Settings {
  return { endpoints, user: "", password: "", authToken: "", caCertPath: "", requestTimeoutMs: 1_000, maxResponseBytes: 1024 * 1024, useEventStream: true, streamTimeoutMs: 2_000, maxEventBytes: 64 * 1024, ...extra };
}

/** Starts a watcher and collects every change it reports. */
function watch(config: Settings, callbackUrl?: string): { watcher: MarathonWatcher; changes: MarathonChange[] } {
  const watcher = new MarathonWatcher(new MarathonTransport(config), config, { backoff: { initialMs: 10, maxMs: 50 }, callbackUrl });
  const changes: MarathonChange[] = [];
  watcher.start((change) => changes.push(change));
  cleanups.push(() => watcher.stop());
  return { watcher, changes };
}

const connects = (changes: MarathonChange[]) => changes.filter((c) => c.kind === "all" && c.reason === "stream connected").length;
const hasApp = (changes: MarathonChange[], appId: string) => changes.some((c) => c.kind === "app" && c.appId === appId);

function deadEndpoint(): string {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${server.port}`;
  server.stop(true);
  return url;
}

describe("event stream", () => {
  test("asks for the stream exactly as Marathon requires and turns events into changes", async () => {
    const s = await sim();
    const { watcher, changes } = watch(settings([s.url]));
    await waitFor("connect", () => connects(changes) === 1);
    const request = s.requestLog.find((r) => r.path === "/v2/events");
    expect(request?.headers.accept).toBe("text/event-stream");
    expect(request?.search).toContain("plan-format=light");
    expect(request?.search).toContain("event_type=status_update_event");
    await s.deployApp({ id: "/w", instances: 1 });
    await waitFor("app change", () => hasApp(changes, "/w") && changes.some((c) => c.kind === "apps" && c.reason === "deployment_success" && c.appIds.includes("/w")));
    expect(watcher.status()).toMatchObject({ streamConnected: true, endpoint: s.url, leader: s.url, reconnects: 0, lastError: null });
    expect(watcher.status().eventsReceived).toBeGreaterThanOrEqual(3);
  });

  test("events bamboo does not act on produce no change", async () => {
    const s = await sim();
    const { changes } = watch(settings([s.url]));
    await waitFor("connect", () => connects(changes) === 1);
    s.emit("framework_message_event", { message: "aGk=" });
    s.emit("app_terminated_event", { appId: "/after" });
    await waitFor("marker change", () => hasApp(changes, "/after"));
    expect(changes).toEqual([{ kind: "all", reason: "stream connected" }, { kind: "app", appId: "/after" }]);
  });

  test("a dropped stream is reopened and announced as a full resync", async () => {
    const s = await sim();
    const { watcher, changes } = watch(settings([s.url]));
    await waitFor("connect", () => connects(changes) === 1);
    s.dropStreams();
    await waitFor("reconnect", () => connects(changes) === 2);
    expect(watcher.status().reconnects).toBe(1);
    s.emit("app_terminated_event", { appId: "/x" });
    await waitFor("event on the new stream", () => hasApp(changes, "/x"));
  });

  test("heartbeats keep a quiet stream open; a stalled one is detected and reopened", async () => {
    const s = await sim({ heartbeatMs: 30 });
    const { watcher, changes } = watch(settings([s.url], { streamTimeoutMs: 250 }));
    await waitFor("connect", () => connects(changes) === 1);
    const beats = s.heartbeats;
    await waitFor("well past the stream timeout", () => s.heartbeats >= beats + 15);
    expect(connects(changes)).toBe(1);
    s.stallStreams();
    await waitFor("reopen after silence", () => connects(changes) === 2);
    expect(watcher.status().reconnects).toBe(1);
    expect(watcher.status().lastError ?? "").toBe("");
  });

  test("a restarted Marathon is reconnected to", async () => {
    const s = await sim();
    const { changes } = watch(settings([s.url]));
    await waitFor("connect", () => connects(changes) === 1);
    await s.restart();
    await waitFor("reconnect", () => connects(changes) === 2);
  });

  test("502 while there is no leader is retried with backoff until the stream opens", async () => {
    const s = await sim();
    s.failNext(3, 502);
    const { watcher, changes } = watch(settings([s.url]));
    await waitFor("connect", () => connects(changes) === 1);
    expect(watcher.status().reconnects).toBe(3);
  });

  test("a dead first endpoint is skipped", async () => {
    const s = await sim();
    const { watcher, changes } = watch(settings([deadEndpoint(), s.url]));
    await waitFor("connect", () => connects(changes) === 1);
    expect(watcher.status().endpoint).toBe(s.url);
  });

  test("a non-leader's redirect to the leader is followed with credentials kept", async () => {
    const auth = { user: "ops", password: "pw" };
    const leader = await sim({ basicAuth: auth });
    const follower = await sim({ basicAuth: auth, followerOf: leader });
    const { watcher, changes } = watch(settings([follower.url], auth));
    await waitFor("connect", () => connects(changes) === 1);
    expect(follower.requests("/v2/events")).toBe(1);
    expect(leader.requestLog.find((r) => r.path === "/v2/events")?.headers.authorization).toStartWith("Basic ");
    expect(watcher.status().leader).toBe(leader.url);
    await leader.deployApp({ id: "/via-leader", instances: 1 });
    await waitFor("app change", () => hasApp(changes, "/via-leader"));
  });

  test("stop closes the stream and ends retries", async () => {
    const s = await sim();
    const { watcher, changes } = watch(settings([s.url]));
    await waitFor("connect", () => connects(changes) === 1);
    await watcher.stop();
    await waitFor("stream closed on the server", () => s.openStreams === 0);
    expect(watcher.status().streamConnected).toBe(false);
  });
});

describe("one transport shared by the watcher and the client", () => {
  test("an endpoint the watcher gives up on (a stalled stream) is not asked first by the client either", async () => {
    const first = await sim({ heartbeatMs: 30 });
    const second = await sim({ heartbeatMs: 30 });
    const config = settings([first.url, second.url], { streamTimeoutMs: 250 });
    const transport = new MarathonTransport(config);
    const watcher = new MarathonWatcher(transport, config, { backoff: { initialMs: 10, maxMs: 50 } });
    watcher.start(() => undefined);
    cleanups.push(() => watcher.stop());
    await waitFor("the stream on the first endpoint", () => first.openStreams === 1);
    first.stallStreams();
    await waitFor("the stream moved to the second endpoint", () => second.openStreams === 1);
    await new MarathonClient(transport).fetchApps();
    expect(second.requests("/v2/apps")).toBe(1);
    expect(first.requests("/v2/apps")).toBe(0);
  });

  test("the leader the client learns shows in the watcher's status", async () => {
    const leader = await sim();
    const follower = await sim({ followerOf: leader, followerRest: "proxy" });
    const config = settings([follower.url], { useEventStream: false });
    const transport = new MarathonTransport(config);
    const watcher = new MarathonWatcher(transport, config, {});
    expect(watcher.status().leader).toBeNull();
    await new MarathonClient(transport).fetchApps();
    expect(watcher.status().leader).toBe(leader.url);
  });
});

describe("bounded events", () => {
  /** A stand-in Marathon whose event stream sends an event line that never ends; counts streams opened and closed. */
  function endlessEventLine(): { url: string; opened: () => number; closed: () => number } {
    let opened = 0;
    let closed = 0;
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        if (new URL(request.url).pathname !== "/v2/events") return Response.json({ leader: "127.0.0.1:1" });
        opened++;
        let started = false;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(started ? chunk : new TextEncoder().encode("event: status_update_event\r\ndata: {"));
            started = true;
          },
          cancel() {
            closed++;
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      },
    });
    cleanups.push(() => server.stop(true));
    return { url: `http://127.0.0.1:${server.port}`, opened: () => opened, closed: () => closed };
  }

  test("an event line that never ends drops the stream with an error naming the limit; it is reopened as a full resync", async () => {
    const m = endlessEventLine();
    const { watcher, changes } = watch(settings([m.url], { maxEventBytes: 64 * 1024 }));
    await waitFor("dropped and reopened", () => connects(changes) >= 2 && m.closed() >= 1);
    await waitFor("the error reported", () => (watcher.status().lastError ?? "").includes("MARATHON_MAX_EVENT_SIZE"));
    expect(watcher.status().lastError).toContain("an event on Marathon's stream is larger than 64KiB (MARATHON_MAX_EVENT_SIZE)");
    expect(watcher.status().lastError).toContain("Raise MARATHON_MAX_EVENT_SIZE");
    expect(watcher.status().reconnects).toBeGreaterThanOrEqual(1);
    await watcher.stop();
    // Every stream opened was closed: none is left draining in the background.
    await waitFor("every stream closed", () => m.closed() === m.opened());
  });
});

describe("legacy callback mode", () => {
  test("registers the callback URL, and posted events become changes", async () => {
    const s = await sim();
    const holder: { watcher?: MarathonWatcher } = {};
    const posted: MarathonChange[] = [];
    const receiver = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        const change = holder.watcher?.changeFromCallback(await request.json());
        if (change) posted.push(change);
        return new Response("ok");
      },
    });
    cleanups.push(() => receiver.stop(true));
    const callbackUrl = `http://127.0.0.1:${receiver.port}/api/marathon/event_callback`;
    const { watcher, changes } = watch(settings([s.url], { useEventStream: false }), callbackUrl);
    holder.watcher = watcher;
    await waitFor("registration", () => changes.some((c) => c.kind === "all" && c.reason === "callback registered"));
    expect(s.subscribers).toEqual([callbackUrl]);
    expect(watcher.status()).toMatchObject({ mode: "callback", callbackRegistered: true, streamConnected: false });
    await s.deployApp({ id: "/cb", instances: 1 });
    await waitFor("posted app change", () => posted.some((c) => c.kind === "app" && c.appId === "/cb"));
  });

  test("registration is retried while Marathon has no leader", async () => {
    const s = await sim();
    s.failNext(2, 502);
    const { watcher, changes } = watch(settings([s.url], { useEventStream: false }), "http://127.0.0.1:9/api/marathon/event_callback");
    await waitFor("registration", () => changes.length === 1);
    expect(watcher.status().reconnects).toBe(2);
  });
});
