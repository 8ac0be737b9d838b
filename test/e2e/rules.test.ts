import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { stat } from "node:fs/promises";
import { BAMBOO_BIN, basicAuth, eventually, spread, startAppliance, TEST_API_PASSWORD, type RunningAppliance } from "../support/appliance.ts";
import { MarathonSim } from "../support/marathon-sim.ts";

/** Issue 7: routing rules are a shared resource, checked before they are stored. */
describe("rules shared by many teams", () => {
  let sim: MarathonSim;
  let bamboo: RunningAppliance;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 1_000 });
    await sim.deployApp({ id: "/shop", instances: 1 });
    await sim.deployApp({ id: "/blog", instances: 1 });
    await sim.deployApp({ id: "/api", instances: 1 });
    await sim.deployApp({ id: "/users", instances: 1 });
    bamboo = await startAppliance({ marathonUrl: sim.url });
    await bamboo.waitReady();
    await put("/shop", "hdr(host) -i shop.example.com");
    await put("/api", "path_beg -i /api");
  });

  afterAll(async () => {
    await bamboo?.stop();
    await sim?.stop();
  });

  async function put(id: string, acl: string, query = "") {
    return fetch(`${bamboo.api}/api/services${query}`, { method: "POST", headers: bamboo.writer, body: JSON.stringify({ id, acl }) });
  }
  const stored = async () => Object.keys(await (await fetch(`${bamboo.api}/api/services`, { headers: bamboo.reader })).json()).sort();
  const shopTask = () => sim.tasks("/shop")[0]!.id;
  const shopRouted = async () => (await spread(`${bamboo.http}/`, 3, { host: "shop.example.com" })).get(shopTask()) === 3;

  test("a rule that would take everyone's traffic is refused and others keep their traffic", async () => {
    await eventually("shop routed", shopRouted);
    const response = await put("/blog", "path_beg -i /");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain("/blog:");
    expect(await stored()).toEqual(["/api", "/shop"]);
    expect(await shopRouted()).toBe(true);
  });

  test("a second claim on the same host is refused with 409 naming the owner", async () => {
    const response = await put("/blog", "hdr(host) -i SHOP.example.com");
    expect(response.status).toBe(409);
    const body = (await response.json()) as { error: string; conflictsWith: string[] };
    expect(body.conflictsWith).toEqual(["/shop"]);
    expect(await shopRouted()).toBe(true);
  });

  test("claiming the path another app routes by its default rule is refused with 409 naming that app", async () => {
    const usersTask = sim.tasks("/users")[0]!.id;
    const response = await put("/blog", "path_beg -i /users");
    expect(response.status).toBe(409);
    const body = (await response.json()) as { error: string; conflictsWith: string[] };
    expect(body.conflictsWith).toEqual(["/users"]);
    expect(body.error).toContain("/users by its default rule");
    expect([...(await spread(`${bamboo.http}/users/`, 3)).keys()]).toEqual([usersTask]);
  });

  test("a nested path overlaps and needs ?allowOverlap=true; the most specific rule then wins", async () => {
    const refused = await put("/users", "path_beg -i /api/users");
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { conflictsWith: string[] }).conflictsWith).toEqual(["/api"]);
    const accepted = await put("/users", "path_beg -i /api/users", "?allowOverlap=true");
    expect(accepted.status).toBe(200);
    const usersTask = sim.tasks("/users")[0]!.id;
    const apiTask = sim.tasks("/api")[0]!.id;
    await eventually("nested path routed to /users", async () => (await spread(`${bamboo.http}/api/users/7`, 2)).get(usersTask) === 2);
    expect((await spread(`${bamboo.http}/api/orders`, 2)).get(apiTask)).toBe(2);
    // HAProxy routes as soon as its new worker runs; the overview follows once the reload is confirmed.
    await eventually("the overlap listed in the overview", async () => {
      const overview = (await (await fetch(`${bamboo.api}/api/overview`, { headers: bamboo.reader })).json()) as { overlaps: { id: string; otherId: string }[] };
      return overview.overlaps.some((o) => [o.id, o.otherId].sort().join() === "/api,/users");
    });
  });

  test("a dry run answers what the write would and stores nothing", async () => {
    const accepted = await put("/blog", "hdr(host) -i blog.example.com", "?dryRun=true");
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ Id: "/blog", Acl: "hdr(host) -i blog.example.com", dryRun: true });
    expect((await put("/blog", "hdr(host) -i shop.example.com", "?dryRun=true")).status).toBe(409);
    expect(await stored()).toEqual(["/api", "/shop", "/users"]);
  });

  test("what is stored is our rendering of the rule, not the text as typed", async () => {
    const response = await put("/blog", "  hdr(Host)   -i   Blog.Example.com ");
    expect(response.status).toBe(200);
    expect(((await response.json()) as { Acl: string }).Acl).toBe("hdr(host) -i Blog.Example.com");
  });

  test("bamboo check-rule asks the running appliance and exits 0, 1 or 2", async () => {
    const run = async (...args: string[]) => {
      const proc = Bun.spawn([BAMBOO_BIN, "check-rule", ...args], {
        env: { PATH: process.env.PATH, BAMBOO_ENDPOINT: bamboo.api, BAMBOO_API_PASSWORD: TEST_API_PASSWORD },
        stdout: "pipe",
        stderr: "pipe",
      });
      return { code: await proc.exited, out: (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text()) };
    };
    const accepted = await run("/new", "hdr(host) -i new.example.com");
    expect(accepted).toMatchObject({ code: 0 });
    expect(accepted.out).toContain("accepted");
    const refused = await run("/new", "hdr(host) -i shop.example.com");
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("/shop");
    expect(await stored()).not.toContain("/new");
  });

  test("service names become Marathon app ids through the API and the CLI", async () => {
    const answer = await fetch(`${bamboo.api}/api/sanitize-id?name=${encodeURIComponent("Team/Payments API")}`, { headers: bamboo.reader });
    expect(await answer.json()).toEqual({ name: "Team/Payments API", id: "/team/payments-api" });
    expect((await fetch(`${bamboo.api}/api/sanitize-id?name=---`, { headers: bamboo.reader })).status).toBe(400);
    const proc = Bun.spawn([BAMBOO_BIN, "sanitize-id", "My Service_v2"], { stdout: "pipe" });
    expect(await proc.exited).toBe(0);
    expect((await new Response(proc.stdout).text()).trim()).toBe("/my-service-v2");
  });

  test("every read needs the viewer or the admin; the health checks stay open; the viewer may not write", async () => {
    const reads: [string, RequestInit][] = [
      ["/api/overview", {}],
      ["/api/status", {}],
      ["/api/state", {}],
      ["/api/services", {}],
      ["/api/services//shop", {}],
      ["/api/sanitize-id?name=shop", {}],
      ["/metrics", {}],
      ["/api/request-test", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: "/", host: "shop.example.com" }) }],
    ];
    for (const [path, init] of reads) {
      const anonymous = await fetch(`${bamboo.api}${path}`, init);
      expect({ path, status: anonymous.status, challenge: anonymous.headers.get("www-authenticate") }).toEqual({ path, status: 401, challenge: 'Basic realm="bamboo", charset="UTF-8"' });
      const asViewer = await fetch(`${bamboo.api}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...bamboo.reader } });
      expect({ path, status: asViewer.status }).toEqual({ path, status: 200 });
      const asAdmin = await fetch(`${bamboo.api}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...bamboo.writer } });
      expect({ path, status: asAdmin.status }).toEqual({ path, status: 200 });
    }
    // The live stream too: its first event is the overview.
    const stream = await fetch(`${bamboo.api}/api/events`, { headers: bamboo.reader });
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const first = new TextDecoder().decode((await stream.body!.getReader().read()).value);
    expect(first).toContain("event: overview");
    await stream.body!.cancel().catch(() => undefined);
    expect((await fetch(`${bamboo.api}/api/events`)).status).toBe(401);
    for (const path of ["/status", "/healthz", "/"]) expect({ path, status: (await fetch(`${bamboo.api}${path}`)).status }).toEqual({ path, status: 200 });

    const write = await fetch(`${bamboo.api}/api/services`, { method: "POST", headers: { "content-type": "application/json", ...bamboo.reader }, body: JSON.stringify({ id: "/viewers-rule", acl: "hdr(host) -i viewers.example.com" }) });
    expect(write.status).toBe(403);
    expect(((await write.json()) as { error: string }).error).toBe("signed in as viewer, who may only read: changing routing rules or certificates needs the admin user (BAMBOO_API_USER)");
    expect(await stored()).not.toContain("/viewers-rule");
  });

  test("bodies that are too large, not JSON or of the wrong shape get 4xx and change nothing", async () => {
    const before = await stored();
    const send = (body: string) => fetch(`${bamboo.api}/api/services`, { method: "POST", headers: bamboo.writer, body });
    expect((await send("x".repeat(200_000))).status).toBe(413);
    expect((await send("{not json")).status).toBe(400);
    expect((await send(JSON.stringify({ id: 7, acl: "hdr(host) -i a" }))).status).toBe(400);
    expect(await stored()).toEqual(before);
  });
});

describe("secure by default", () => {
  test("a password is generated at first start, kept private, and required for writes", async () => {
    const sim = await MarathonSim.start();
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_API_PASSWORD: "", BAMBOO_VIEWER_PASSWORD: "" } });
    try {
      await bamboo.waitReady();
      const file = `${bamboo.dataDir}/api-password`;
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const password = (await Bun.file(file).text()).trim();
      expect(password.length).toBeGreaterThan(16);
      expect(bamboo.logs()).toContain(`generated a password and stored it in ${file}`);
      const body = JSON.stringify({ id: "/a", acl: "hdr(host) -i a.local" });
      const json = { "content-type": "application/json" };
      expect((await fetch(`${bamboo.api}/api/services`, { method: "POST", body, headers: json })).status).toBe(401);
      expect((await fetch(`${bamboo.api}/api/services`, { method: "POST", body, headers: { ...json, ...basicAuth("admin", password) } })).status).toBe(200);

      // The viewer's password likewise, and it reads.
      const viewerFile = `${bamboo.dataDir}/viewer-password`;
      expect((await stat(viewerFile)).mode & 0o777).toBe(0o600);
      const viewerPassword = (await Bun.file(viewerFile).text()).trim();
      expect(viewerPassword.length).toBeGreaterThan(16);
      expect(viewerPassword).not.toBe(password);
      expect(bamboo.logs()).toContain(`BAMBOO_VIEWER_PASSWORD is not set: generated a password and stored it in ${viewerFile}`);
      expect((await fetch(`${bamboo.api}/api/status`)).status).toBe(401);
      expect((await fetch(`${bamboo.api}/api/status`, { headers: basicAuth("viewer", viewerPassword) })).status).toBe(200);
    } finally {
      await bamboo.stop();
      await sim.stop();
    }
  });

  test("BAMBOO_API_READ_AUTH=false opens reads as Bamboo had them, says so, and writes still need the admin", async () => {
    const sim = await MarathonSim.start();
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_API_READ_AUTH: "false" } });
    try {
      await bamboo.waitReady();
      for (const path of ["/api/overview", "/api/status", "/api/state", "/api/services", "/metrics"]) expect({ path, status: (await fetch(`${bamboo.api}${path}`)).status }).toEqual({ path, status: 200 });
      const write = await fetch(`${bamboo.api}/api/services`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: "/a", acl: "hdr(host) -i a.local" }) });
      expect(write.status).toBe(401);
      expect(bamboo.logs()).toContain("BAMBOO_API_READ_AUTH=false: anyone who reaches the API can read");
    } finally {
      await bamboo.stop();
      await sim.stop();
    }
  });

  test("BAMBOO_METRICS_AUTH=false opens /metrics alone, for a Prometheus scraper", async () => {
    const sim = await MarathonSim.start();
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_METRICS_AUTH: "false" } });
    try {
      await bamboo.waitReady();
      const metrics = await fetch(`${bamboo.api}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain("bamboo_");
      expect((await fetch(`${bamboo.api}/api/status`)).status).toBe(401);
      expect(bamboo.logs()).toContain("BAMBOO_METRICS_AUTH=false");
    } finally {
      await bamboo.stop();
      await sim.stop();
    }
  });

  test("BAMBOO_API_AUTH=false runs open, and says so", async () => {
    const sim = await MarathonSim.start();
    const bamboo = await startAppliance({ marathonUrl: sim.url, env: { BAMBOO_API_AUTH: "false" } });
    try {
      await bamboo.waitReady();
      const response = await fetch(`${bamboo.api}/api/services`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: "/a", acl: "hdr(host) -i a.local" }) });
      expect(response.status).toBe(200);
      expect((await fetch(`${bamboo.api}/api/status`)).status).toBe(200);
      expect(bamboo.logs()).toContain("BAMBOO_API_AUTH=false");
    } finally {
      await bamboo.stop();
      await sim.stop();
    }
  });
});
