import { describe, expect, test } from "bun:test";
import { authorize, needOf, whoIs } from "../../src/http/access.ts";
import type { ApiAccess } from "../../src/http/credentials.ts";
import { HttpError } from "../../src/http/errors.ts";
import { createHandler, type HttpDeps } from "../../src/http/server.ts";
import { SignInGuard } from "../../src/http/sign-in-guard.ts";
import { UI_REQUEST_HEADER } from "../../src/http/ui/api-types.ts";

const ADMIN = { user: "admin", password: "admin-pw" };
const VIEWER = { user: "viewer", password: "viewer-pw" };
const CLOSED: ApiAccess = { admin: ADMIN, viewer: VIEWER, metricsOpen: false };
const basic = (credential: { user: string; password: string }) => ({ authorization: `Basic ${btoa(`${credential.user}:${credential.password}`)}` });
const request = (method: string, path: string, headers: Record<string, string> = {}) => new Request(`http://127.0.0.1:8000${path}`, { method, headers });

describe("what each endpoint needs, with the defaults", () => {
  test.each([
    ["GET", "/healthz", "nothing"],
    ["GET", "/status", "nothing"],
    ["GET", "/", "nothing"],
    ["GET", "/index.html", "nothing"],
    ["GET", "/ui/app-1234.js", "nothing"],
    ["GET", "/haproxy_stats", "nothing"],
    ["POST", "/api/marathon/event_callback", "nothing"],
    ["GET", "/api/overview", "read"],
    ["GET", "/api/events", "read"],
    ["GET", "/api/status", "read"],
    ["GET", "/api/state", "read"],
    ["GET", "/api/services", "read"],
    ["GET", "/api/services//ghost", "read"],
    ["HEAD", "/api/services", "read"],
    ["GET", "/api/sanitize-id", "read"],
    ["POST", "/api/request-test", "read"],
    ["GET", "/metrics", "read"],
    ["GET", "/a/path/nobody/declared", "read"],
    ["POST", "/api/services", "write"],
    ["PUT", "/api/services//ghost", "write"],
    ["DELETE", "/api/services//ghost", "write"],
    ["GET", "/api/whoami", "read"],
    ["GET", "/api/certificates", "read"],
    ["PUT", "/api/certificates/shop", "write"],
    ["DELETE", "/api/certificates/shop", "write"],
  ] as const)("%s %s needs %s", (method, path, need) => {
    expect(needOf(request(method, path), CLOSED)).toBe(need);
  });

  test("BAMBOO_API_READ_AUTH=false opens every read, and writes still need the admin", () => {
    const open: ApiAccess = { admin: ADMIN, viewer: null, metricsOpen: true };
    for (const path of ["/api/overview", "/api/events", "/api/status", "/api/state", "/api/services", "/metrics"]) expect(needOf(request("GET", path), open)).toBe("nothing");
    expect(needOf(request("POST", "/api/request-test"), open)).toBe("nothing");
    expect(needOf(request("POST", "/api/services"), open)).toBe("write");
  });

  test("BAMBOO_METRICS_AUTH=false opens /metrics alone", () => {
    const metricsOpen: ApiAccess = { ...CLOSED, metricsOpen: true };
    expect(needOf(request("GET", "/metrics"), metricsOpen)).toBe("nothing");
    expect(needOf(request("GET", "/api/status"), metricsOpen)).toBe("read");
  });
});

describe("authorize", () => {
  const refusal = (req: Request, access: ApiAccess | null = CLOSED): HttpError | null => {
    try {
      authorize(req, access);
      return null;
    } catch (error) {
      if (error instanceof HttpError) return error;
      throw error;
    }
  };

  test("the viewer and the admin may read; nobody else", () => {
    expect(refusal(request("GET", "/api/status", basic(VIEWER)))).toBeNull();
    expect(refusal(request("GET", "/api/status", basic(ADMIN)))).toBeNull();
    expect(refusal(request("GET", "/api/status"))?.status).toBe(401);
    expect(refusal(request("GET", "/api/status", basic({ user: "viewer", password: "admin-pw" })))?.status).toBe(401);
  });

  test("the viewer writing is signed in but not allowed: 403 saying who may", () => {
    const error = refusal(request("POST", "/api/services", basic(VIEWER)));
    expect(error?.status).toBe(403);
    expect(error?.message).toBe("signed in as viewer, who may only read: changing routing rules or certificates needs the admin user (BAMBOO_API_USER)");
    expect(refusal(request("POST", "/api/services", basic(ADMIN)))).toBeNull();
  });

  test("BAMBOO_API_AUTH=false lets everything through", () => {
    expect(refusal(request("DELETE", "/api/services//ghost"), null)).toBeNull();
  });
});

describe("the handler's answers", () => {
  const logged: { message: string; fields?: Record<string, unknown> }[] = [];
  const deps = {
    credentials: { api: CLOSED, stats: { user: "stats", password: "stats-pw" } },
    store: { list: () => [], get: () => undefined },
    overview: { currentJson: () => '{"apps":[]}' },
    log: { debug() {}, info() {}, error() {}, warn: (message: string, fields?: Record<string, unknown>) => logged.push({ message, fields }) },
  } as unknown as HttpDeps;
  const guard = () => new SignInGuard({ freeFailures: 2, firstPauseMs: 60_000, maxPauseMs: 60_000, windowMs: 60_000, maxAddresses: 10 });

  test("a read without credentials gets 401 with a Basic challenge; the page's own calls get none", async () => {
    const handle = createHandler(deps, guard());
    const script = await handle(request("GET", "/api/overview"), "10.0.0.1");
    expect(script.status).toBe(401);
    expect(script.headers.get("www-authenticate")).toContain("Basic");
    expect(((await script.json()) as { error: string }).error).toContain("viewer or the admin");
    const page = await handle(request("GET", "/api/overview", { [UI_REQUEST_HEADER]: "1" }), "10.0.0.1");
    expect(page.headers.get("www-authenticate")).toBeNull();
    // index.html's preload cannot carry the page's header; the browser marks it as no navigation.
    const preload = await handle(request("GET", "/api/overview", { "sec-fetch-mode": "cors" }), "10.0.0.1");
    expect(preload.status).toBe(401);
    expect(preload.headers.get("www-authenticate")).toBeNull();
    const addressBar = await handle(request("GET", "/api/overview", { "sec-fetch-mode": "navigate" }), "10.0.0.1");
    expect(addressBar.headers.get("www-authenticate")).toContain("Basic");
  });

  test("the viewer reads, and writing gets 403 with the reason; no sign-in failure is counted", async () => {
    const handle = createHandler(deps, guard());
    const read = await handle(request("GET", "/api/overview", basic(VIEWER)), "10.0.0.2");
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('{"apps":[]}');
    for (let i = 0; i < 4; i++) {
      const write = await handle(request("POST", "/api/services", { ...basic(VIEWER), "content-type": "application/json" }), "10.0.0.2");
      expect(write.status).toBe(403);
      expect(((await write.json()) as { error: string }).error).toContain("may only read");
    }
    expect((await handle(request("GET", "/api/services", basic(VIEWER)), "10.0.0.2")).status).toBe(200);
  });

  test("failed sign-ins on reads are logged with the address and slow that address down", async () => {
    logged.length = 0;
    const handle = createHandler(deps, guard());
    const wrong = basic({ user: "viewer", password: "guess" });
    for (const path of ["/api/status", "/metrics", "/api/events"]) expect((await handle(request("GET", path, wrong), "10.0.0.3")).status).toBe(401);
    expect(logged.map((line) => [line.message, line.fields?.address, line.fields?.path])).toEqual([
      ["failed sign-in", "10.0.0.3", "/api/status"],
      ["failed sign-in", "10.0.0.3", "/metrics"],
      ["failed sign-in", "10.0.0.3", "/api/events"],
    ]);
    const paused = await handle(request("GET", "/api/overview", basic(VIEWER)), "10.0.0.3");
    expect(paused.status).toBe(429);
    expect((await handle(request("GET", "/api/overview", basic(VIEWER)), "10.0.0.4")).status).toBe(200);
  });

  test("the health checks and the page answer without credentials", async () => {
    const handle = createHandler(deps, guard());
    expect((await handle(request("GET", "/healthz"), "10.0.0.5")).status).toBe(200);
    expect((await handle(request("GET", "/"), "10.0.0.5")).status).toBe(200);
  });
});

describe("who is signed in", () => {
  test.each([
    ["the admin", basic(ADMIN), { user: "admin", role: "admin" }],
    ["the viewer", basic(VIEWER), { user: "viewer", role: "viewer" }],
  ] as const)("%s", (_name, headers, expected) => {
    expect(whoIs(request("GET", "/api/whoami", headers), CLOSED)).toEqual(expected);
  });

  test("nobody: 401; with auth off everyone may write", () => {
    expect(() => whoIs(request("GET", "/api/whoami"), CLOSED)).toThrow(HttpError);
    expect(whoIs(request("GET", "/api/whoami"), null)).toEqual({ user: null, role: "admin" });
  });
});
