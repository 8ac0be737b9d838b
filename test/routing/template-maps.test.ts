import { describe, expect, test } from "bun:test";
import { TemplateDataBuilder } from "../../src/routing/template-data.ts";
import { makeService } from "../../src/store/types.ts";
import { app, task, TEMPLATE_SETTINGS } from "./builders.ts";

const web = (id: string, port: number) => app({ id, tasks: [task({ id: `${id.slice(1)}.${port}`, host: "10.0.0.1", ports: [port] })] });

describe("the template data's maps", () => {
  test("name their files in the map directory, with the backend of each key", () => {
    const data = new TemplateDataBuilder().build([web("/a", 31000), web("/b", 31001)], [makeService("/a", "hdr(host) -i A.example")], TEMPLATE_SETTINGS);
    const used = data.Maps.filter((map) => map.Entries.length > 0).map((map) => ({ path: map.Path, entries: map.Entries }));
    expect(used).toEqual([
      { path: "/run/bamboo/maps/host.map", entries: [{ Key: "a.example", Value: "::a-cluster", Id: "/a" }] },
      { path: "/run/bamboo/maps/path-prefix.map", entries: [{ Key: "/b", Value: "::b-cluster", Id: "/b" }] },
    ]);
    expect(data.Frontend.filter((step) => step.Map !== null).map((step) => step.Map)).toEqual(data.Maps as never);
  });

  test("are the same objects after a task event, so the applier sees no change without comparing entries", () => {
    const builder = new TemplateDataBuilder();
    const services = [makeService("/a", "hdr(host) -i a.example")];
    const before = builder.build([web("/a", 31000), web("/b", 31001)], services, TEMPLATE_SETTINGS);
    const after = builder.build([web("/a", 31002), web("/b", 31001)], services, TEMPLATE_SETTINGS);
    expect(after.Maps).toBe(before.Maps);
    const changed = builder.build([web("/a", 31002), web("/b", 31001)], [makeService("/a", "hdr(host) -i c.example")], TEMPLATE_SETTINGS);
    expect(changed.Maps).not.toBe(before.Maps);
  });
});
