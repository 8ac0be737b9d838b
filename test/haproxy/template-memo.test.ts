import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import Handlebars from "handlebars";
import { compileTemplate, loadTemplateSource } from "../../src/haproxy/template.ts";
import { memoizableEachBlocks } from "../../src/haproxy/template-memo.ts";
import { TemplateDataBuilder } from "../../src/routing/template-data.ts";
import type { App } from "../../src/marathon/types.ts";
import { makeService, type Service } from "../../src/store/types.ts";
import { app, httpHealthCheck, task, TEMPLATE_SETTINGS as SETTINGS } from "../routing/builders.ts";

describe("which each blocks may reuse an item's text", () => {
  test.each([
    ["only the item", "{{#each A}}{{x}}{{/each}}", { "1:0": { reads: [], frame: [] } }],
    ["a field of the calling context", "{{#each A}}{{../y}}{{/each}}", { "1:0": { reads: [{ from: "context", parts: ["y"] }], frame: [] } }],
    ["a field of the root", "{{#each A}}{{@root.y.z}}{{/each}}", { "1:0": { reads: [{ from: "root", parts: ["y", "z"] }], frame: [] } }],
    ["the item's position", "{{#each A}}{{@index}}{{#if @last}}.{{/if}}{{/each}}", { "1:0": { reads: [], frame: ["index", "last"] } }],
    ["`if` adds no scope", "{{#each A}}{{#if x}}{{../y}}{{/if}}{{/each}}", { "1:0": { reads: [{ from: "context", parts: ["y"] }], frame: [] } }],
    [
      "an each inside a memoized one is rendered with its item, not memoized itself; its own frame and the outer item are not the outer's reads",
      "{{#each A}}{{#each B}}{{@index}}{{../x}}{{/each}}{{/each}}",
      { "1:0": { reads: [], frame: [] } },
    ],
    [
      "a nested each's else runs in the outer item's frame",
      "{{#each A}}{{#each B}}{{else}}{{@index}}{{/each}}{{/each}}",
      { "1:0": { reads: [], frame: ["index"] } },
    ],
    ["an each inside one that cannot be memoized may be", "{{#each A}}{{@foo}}{{#each B}}{{x}}{{/each}}{{/each}}", { "1:19": { reads: [], frame: [] } }],
    [
      "two levels up is outside the nested block",
      "{{#each A}}{{#each B}}{{../../y}}{{/each}}{{/each}}",
      { "1:0": { reads: [{ from: "context", parts: ["y"] }], frame: [] } },
    ],
    ["`with` may or may not open a scope", "{{#each A}}{{#with b}}{{c}}{{/with}}{{/each}}", {}],
    ["partials can read anything", "{{#each A}}{{> p}}{{/each}}", {}],
    ["block parameters can be read from anywhere", "{{#each A as |a|}}{{a.x}}{{/each}}{{#each B}}{{y}}{{/each}}", {}],
    ["other data variables", "{{#each A}}{{@foo}}{{/each}}", {}],
    ["parent data frames (not followed)", "{{#each A}}{{#each B}}{{@../index}}{{/each}}{{/each}}", {}],
  ] as [string, string, Record<string, unknown>][])("%s", (_name, source, expected) => {
    expect(Object.fromEntries(memoizableEachBlocks(source)) as Record<string, unknown>).toEqual(expected);
  });
});

/** Templates exercising every kind of read a memoized body may make, and ones it must not memoize. */
const TEMPLATES: Record<string, string> = {
  default: "",
  "outer reads": [
    "{{#each Apps}}",
    "backend {{EscapedId}} {{../HAProxy.BindHost}} {{@root.HAProxy.MaxConn}} {{@index}}{{#if @first}} first{{/if}}{{#if @last}} last{{/if}}",
    "{{#if (hasKey ../Services Id)}}    acl {{Acl}}{{/if}}",
    "{{#each Tasks}}    server {{../EscapedId}}-{{@index}} {{Host}}:{{Port}}{{/each}}",
    "{{/each}}",
  ].join("\n"),
  "routes then apps": "{{#each Routes}}{{Acl}}\n{{/each}}{{#each Apps}}{{Id}} {{Tasks.length}}\n{{/each}}",
  "services": "{{#each Services}}{{Id}} {{Acl}}\n{{/each}}",
  "whole list inside the body": "{{#each Apps}}{{Id}}:{{#each ../Apps}}{{Id}},{{/each}}\n{{/each}}",
  "with inside": "{{#each Apps}}{{#with Env}}{{BAMBOO_TCP_PORT}}{{/with}}\n{{/each}}",
};

/** Handlebars as it is, with bamboo's helpers but no memo: the reference output. */
function plainRenderer(source: string) {
  const handlebars = Handlebars.create();
  handlebars.registerHelper("hasKey", (services: Record<string, unknown>, id: string) => services != null && Object.hasOwn(services, id));
  handlebars.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  return handlebars.compile(source, { noEscape: true });
}

const appIds = ["/a", "/b", "/c/d", "/e"];
const anApp = fc.record({
  id: fc.constantFrom(...appIds),
  tasks: fc.array(fc.record({ host: fc.constantFrom("10.0.0.1", "10.0.0.2"), port: fc.integer({ min: 31000, max: 31003 }), alive: fc.boolean() }), { maxLength: 3 }),
  checked: fc.boolean(),
  tcpPort: fc.constantFrom(undefined, "9000"),
});
/** One step: replace some apps (new objects), drop one, change a rule, or change nothing. */
const aStep = fc.oneof(
  fc.record({ kind: fc.constant("apps" as const), apps: fc.array(anApp, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("drop" as const), id: fc.constantFrom(...appIds) }),
  fc.record({ kind: fc.constant("rule" as const), id: fc.constantFrom(...appIds), acl: fc.constantFrom("", "hdr(host) -i x.local", "path_beg -i /x") }),
  fc.constant({ kind: "same" as const }),
);

function toApp(spec: { id: string; tasks: { host: string; port: number; alive: boolean }[]; checked: boolean; tcpPort: string | undefined }): App {
  return app({
    id: spec.id,
    env: spec.tcpPort ? { BAMBOO_TCP_PORT: spec.tcpPort } : {},
    healthChecks: spec.checked ? [httpHealthCheck({ path: "/health" })] : [],
    tasks: spec.tasks.map((t, i) => task({ id: `${spec.id}.${i}`, host: t.host, ports: [t.port], alive: t.alive })),
  });
}

describe("a memoized render is the render Handlebars would make", () => {
  for (const [name, given] of Object.entries(TEMPLATES)) {
    test(`${name}, over any sequence of app and rule changes`, async () => {
      const source = given === "" ? (await loadTemplateSource("")).source : given;
      const memoized = compileTemplate(name, source);
      const plain = plainRenderer(source);
      fc.assert(
        fc.property(fc.array(aStep, { minLength: 1, maxLength: 8 }), (steps) => {
          // Unchanged apps keep their objects from step to step, as the reconciler keeps them,
          // and so their TemplateApps, as a compiler's builder keeps them.
          const builder = new TemplateDataBuilder();
          const apps = new Map<string, App>();
          const services = new Map<string, Service>();
          for (const step of steps) {
            if (step.kind === "apps") for (const spec of step.apps) apps.set(spec.id, toApp(spec));
            if (step.kind === "drop") apps.delete(step.id);
            if (step.kind === "rule") services.set(step.id, makeService(step.id, step.acl));
            const data = builder.build([...apps.values()], [...services.values()], SETTINGS);
            const expected = plain(data);
            expect(memoized(data)).toBe(expected);
            expect(memoized.pieces(data).join("")).toBe(expected);
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  test("a list rendered again is its text again, and a changed list or outer value renders anew", () => {
    const render = compileTemplate("binds", "{{#each ServicePorts.HttpBinds}}bind {{this}} {{@root.HAProxy.BindHost}};{{/each}}");
    const data = (binds: readonly string[], bindHost = "h") => ({ ServicePorts: { HttpBinds: binds }, HAProxy: { BindHost: bindHost } }) as never;
    const binds = [":10000", ":10001"];
    expect(render(data(binds))).toBe("bind :10000 h;bind :10001 h;");
    expect(render.pieces(data(binds)).join("")).toBe("bind :10000 h;bind :10001 h;");
    expect(render(data([...binds, ":10002"]))).toBe("bind :10000 h;bind :10001 h;bind :10002 h;");
    expect(render(data([...binds, ":10002"], "g"))).toBe("bind :10000 g;bind :10001 g;bind :10002 g;");
    expect(render(data(binds, "g"))).toBe("bind :10000 g;bind :10001 g;");
  });

  test("changed settings reach every item", async () => {
    const render = compileTemplate("outer reads", TEMPLATES["outer reads"]!);
    const apps = [toApp({ id: "/a", tasks: [{ host: "10.0.0.1", port: 31000, alive: true }], checked: false, tcpPort: undefined })];
    const builder = new TemplateDataBuilder();
    render(builder.build(apps, [], SETTINGS));
    const moved = render(builder.build(apps, [], { ...SETTINGS, BindHost: "127.0.0.2", MaxConn: 10 }));
    expect(moved).toContain("backend ::a 127.0.0.2 10 0 first last");
  });
});
