import { describe, expect, test } from "bun:test";
import { OverviewBuilder, type OverviewInput } from "../../src/http/overview.ts";
import { DEFAULT_POLICY } from "../../src/routing/acl/index.ts";
import { toTemplateData } from "../../src/routing/template-data.ts";
import { makeService } from "../../src/store/types.ts";
import { TimeSlice } from "../../src/system/time-slice.ts";
import { app, task, TEMPLATE_SETTINGS } from "../routing/builders.ts";

const ghost = app({ id: "/ghost", tasks: [task({ id: "g.1", host: "10.0.0.1", ports: [31001] }), task({ id: "g.2", host: "10.0.0.2", ports: [31002], alive: false })] });
const blog = app({ id: "/blog", tasks: [] });
const services = [makeService("/ghost", "hdr(host) -i ghost.local"), makeService("/later", "hdr(host) -i later.local")];

const data = toTemplateData([ghost, blog], services, TEMPLATE_SETTINGS);

function input(haproxy: OverviewInput["haproxy"] = new Map()): OverviewInput {
  return { data, apps: [ghost, blog], services, haproxy, warnings: [], overlaps: [] };
}

describe("OverviewBuilder", () => {
  test("a row per app with counts, status words and HAProxy's view of routed servers; rules without an app listed", () => {
    const body = new OverviewBuilder(DEFAULT_POLICY).build(input(new Map([["10.0.0.1:31001", "UP"]])));
    const [blogRow, ghostRow] = body.apps;
    expect(ghostRow).toMatchObject({ id: "/ghost", instances: 2, tasks: { total: 2, healthy: 1, routed: 1 }, status: "partial", rule: { source: "service" } });
    expect(ghostRow!.servers.map((server) => [server.address, server.haproxy])).toEqual([["10.0.0.1:31001", "UP"], ["10.0.0.2:31002", null]]);
    expect(blogRow).toMatchObject({ id: "/blog", status: "no-healthy-task", statusText: "503 for every request: the app has no tasks", rule: { source: "default" } });
    expect(body.orphanServices).toEqual([{ id: "/later", acl: "hdr(host) -i later.local" }]);
  });

  test("an unchanged app is the same row object; a changed HAProxy state makes a new one", () => {
    const up = new Map([["10.0.0.1:31001", "UP" as const]]);
    const builder = new OverviewBuilder(DEFAULT_POLICY);
    const first = builder.build(input(up));
    const again = builder.build(input(new Map(up)));
    expect(again.apps[1]).toBe(first.apps[1]!);
    const down = builder.build(input(new Map([["10.0.0.1:31001", "DOWN" as const]])));
    expect(down.apps[1]).not.toBe(first.apps[1]!);
    expect(down.apps[1]!.servers[0]!.haproxy).toBe("DOWN");
    expect(down.apps[0]).toBe(first.apps[0]!);
  });

  test("with the same states map, rows are reused without looking at the states again, until an app's instances change", () => {
    const states = new Map([["10.0.0.1:31001", "UP" as const]]);
    const builder = new OverviewBuilder(DEFAULT_POLICY);
    const apps = [ghost, blog];
    const first = builder.build({ ...input(states), apps });
    expect(builder.build({ ...input(states), apps }).apps).toEqual(first.apps);
    expect(builder.build({ ...input(states), apps }).apps[1]).toBe(first.apps[1]!);
    const scaled = builder.build({ ...input(states), apps: [{ ...ghost, instances: 5 }, blog] });
    expect(scaled.apps[1]).not.toBe(first.apps[1]!);
    expect(scaled.apps[1]!.instances).toBe(5);
  });

  test("prepare checks every row against new states, giving way as it goes; the build after it reuses those rows", async () => {
    const builder = new OverviewBuilder(DEFAULT_POLICY);
    const apps = [ghost, blog];
    const first = builder.build({ ...input(new Map()), apps });
    const down = new Map([["10.0.0.1:31001", "DOWN" as const]]);
    let pauses = 0;
    await builder.prepare({ data, apps, haproxy: down }, new TimeSlice(0, async () => void pauses++));
    expect(pauses).toBe(2);
    const after = builder.build({ ...input(down), apps });
    expect(after.apps[1]!.servers[0]!.haproxy).toBe("DOWN");
    expect(after.apps[1]).not.toBe(first.apps[1]!);
    expect(builder.build({ ...input(down), apps }).apps[1]).toBe(after.apps[1]!);
  });
});
