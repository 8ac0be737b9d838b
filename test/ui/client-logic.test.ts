import { describe, expect, test } from "bun:test";
import type { Overview, OverviewApp } from "../../src/http/ui/api-types.ts";
import { ApiError, SignInCancelled } from "../../src/http/ui/client/api.ts";
import { ago, text } from "../../src/http/ui/client/format.ts";
import { countByStatus, filterApps, sortApps } from "../../src/http/ui/client/overview/sort-filter.ts";
import { applyChanges } from "../../src/http/ui/client/overview-changes.ts";
import { formKey, refusal } from "../../src/http/ui/client/rules/check-result.ts";
import { parseHeaders } from "../../src/http/ui/client/tester/parse-headers.ts";

function app(id: string, status: OverviewApp["status"], instances = 1, healthy = instances): OverviewApp {
  return {
    id,
    rule: { acl: `path_beg -i ${id}`, source: "default" },
    instances,
    tasks: { total: instances, healthy, routed: healthy },
    servers: [],
    status,
    statusText: status,
  };
}

const apps = [app("/shop/payments-api", "healthy", 3), app("/shop/web", "partial", 2, 1), app("/blog", "no-rule"), app("/app-10", "no-healthy-task", 1, 0), app("/app-2", "healthy", 5)];

describe("filtering and sorting the overview", () => {
  test("every word of the filter must appear in the id, in any case", () => {
    expect(filterApps(apps, "SHOP api", "all").map((a) => a.id)).toEqual(["/shop/payments-api"]);
    expect(filterApps(apps, "  ", "all")).toHaveLength(apps.length);
  });

  test("the status filter keeps only that status", () => {
    expect(filterApps(apps, "", "no-healthy-task").map((a) => a.id)).toEqual(["/app-10"]);
  });

  test("ids sort with numbers in numeric order", () => {
    expect(sortApps([...apps], { key: "id", descending: false }).map((a) => a.id)).toEqual(["/app-2", "/app-10", "/blog", "/shop/payments-api", "/shop/web"]);
  });

  test("sorting by status puts the 503s first and breaks ties by id", () => {
    expect(sortApps([...apps], { key: "status", descending: false }).map((a) => a.status)).toEqual(["no-healthy-task", "partial", "no-rule", "healthy", "healthy"]);
    expect(sortApps([...apps], { key: "status", descending: false }).slice(-2).map((a) => a.id)).toEqual(["/app-2", "/shop/payments-api"]);
  });

  test("sorting by instances descending puts the biggest first", () => {
    expect(sortApps([...apps], { key: "instances", descending: true })[0]!.id).toBe("/app-2");
  });

  test("statuses are counted", () => {
    expect(countByStatus(apps)).toEqual({ healthy: 2, partial: 1, "no-rule": 1, "no-healthy-task": 1 });
  });
});

describe("reading the request tester's headers", () => {
  test("one Name: value a line, blank lines ignored, names lower-cased", () => {
    expect(parseHeaders("X-Canary: yes\n\nCookie: a=b; c=d")).toEqual({ ok: true, headers: { "x-canary": "yes", cookie: "a=b; c=d" } });
  });

  test("a line that is not a header is named by its number", () => {
    expect(parseHeaders("X-Ok: 1\nnot a header")).toEqual({ ok: false, message: 'Line 2 is not a header: write it as "Name: value".' });
  });
});

describe("turning API answers into words next to a field", () => {
  const key = formKey("/shop", "hdr(host) -i shop.local");

  test("a conflict names the other service, next to the rule", () => {
    const result = refusal(key, new ApiError(409, "host shop.local is already routed to /web", ["/web"]));
    expect(result).toEqual({ kind: "refused", key, field: "acl", message: "Conflicts with service /web: host shop.local is already routed to /web", conflictsWith: ["/web"] });
  });

  test("an invalid id goes next to the id, an invalid ACL next to the rule", () => {
    expect(refusal(key, new ApiError(400, "can not use empty ID"))).toMatchObject({ field: "id" });
    expect(refusal(key, new ApiError(400, "invalid ACL for /shop: unknown fetch method"))).toMatchObject({ field: "acl", message: "Invalid ACL for /shop: unknown fetch method" });
  });

  test("401 asks to sign in; a cancelled sign-in says nothing was saved", () => {
    expect(refusal(key, new ApiError(401, "needs auth"))).toEqual({ kind: "needs-sign-in", key });
    expect(refusal(key, new SignInCancelled())).toMatchObject({ field: "form", message: expect.stringContaining("nothing was checked or saved") });
  });

  test("a store outage is said as such, for the whole form", () => {
    expect(refusal(key, new ApiError(503, "ZooKeeper is unreachable"))).toMatchObject({ field: "form", message: "Rules cannot be changed right now: ZooKeeper is unreachable" });
  });
});

describe("formatting values the API may leave out", () => {
  test("missing values are a dash", () => {
    expect([text(undefined), text(null), text(""), text([])]).toEqual(["—", "—", "—", "—"]);
    expect([text(true), text(["a", "b"]), text(3)]).toEqual(["yes", "a, b", "3"]);
  });

  test("times read as how long ago", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(ago("2026-01-01T11:59:50Z", now)).toBe("10 s ago");
    expect(ago("2026-01-01T11:30:00Z", now)).toBe("30 min ago");
    expect(ago(null, now)).toBe("—");
  });
});

describe("applying the stream's changes to the overview shown", () => {
  const overview = (version: number, rows: OverviewApp[]): Overview => ({ version, eventId: `e.${version}`, generatedAt: "t", apps: rows, orphanServices: [], warnings: [], overlaps: [] });
  const shown = overview(4, [app("/a", "healthy"), app("/c", "healthy")]);

  test("rows are added, replaced and removed; the small parts and version come from the change", () => {
    const next = applyChanges(shown, { ...overview(5, [app("/b", "no-rule"), app("/c", "partial", 2, 1)]), orphanServices: [{ id: "/x", acl: "hdr(host) -i x" }], removed: ["/a"] });
    expect(next!.apps.map((row) => [row.id, row.status])).toEqual([["/b", "no-rule"], ["/c", "partial"]]);
    expect(next!.version).toBe(5);
    expect(next!.eventId).toBe("e.5");
    expect(next!.orphanServices).toEqual([{ id: "/x", acl: "hdr(host) -i x" }]);
    expect(Object.keys(next!)).not.toContain("removed");
  });

  test("a change that does not follow the version shown is refused", () => {
    expect(applyChanges(shown, { ...overview(7, []), removed: [] })).toBeNull();
    expect(applyChanges(shown, { ...overview(4, []), removed: [] })).toBeNull();
  });
});
