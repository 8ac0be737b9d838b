import { describe, expect, test } from "bun:test";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileTemplate, loadTemplateSource, TemplateError } from "../../src/haproxy/template.ts";
import { writeMapFiles } from "../../src/haproxy/map-files.ts";
import { validateConfig } from "../../src/haproxy/validate.ts";
import { toTemplateData } from "../../src/routing/template-data.ts";
import { makeService } from "../../src/store/types.ts";
import { app, httpHealthCheck, task, TEMPLATE_SETTINGS as SETTINGS } from "../routing/builders.ts";

const APPS = [
  app({
    id: "/ghost",
    healthChecks: [httpHealthCheck({ path: "/health" })],
    tasks: [task({ id: "ghost.1", host: "10.0.0.1", ports: [31001] }), task({ id: "ghost.2", host: "10.0.0.2", ports: [31002] })],
  }),
  app({ id: "/shop/web", env: { STICKY_SESSIONS: "true" }, tasks: [task({ id: "web.1", host: "10.0.0.3", ports: [31003] })] }),
  app({ id: "/db/proxy", env: { BAMBOO_TCP_PORT: "15432" }, tasks: [task({ id: "proxy.1", host: "10.0.0.4", ports: [31004], alive: false })] }),
  app({ id: "/secure", healthChecks: [httpHealthCheck({ protocol: "HTTPS", path: "/ok" })], tasks: [task({ id: "s.1", host: "10.0.0.5", ports: [443] })] }),
];
const SERVICES = [makeService("/ghost", "hdr(host) -i ghost.local")];

async function renderDefault(): Promise<string> {
  const { name, source } = await loadTemplateSource("");
  return compileTemplate(name, source)(toTemplateData(APPS, SERVICES, SETTINGS));
}

describe("the default template", () => {
  test("renders the expected config (test/golden/default.cfg)", async () => {
    const rendered = await renderDefault();
    const goldenPath = new URL("../golden/default.cfg", import.meta.url).pathname;
    if (process.env.UPDATE_GOLDEN === "1") await writeFile(goldenPath, rendered);
    expect(rendered).toBe(await Bun.file(goldenPath).text());
  });

  test("renders a config the real HAProxy accepts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bamboo-template-"));
    const file = join(dir, "haproxy.cfg");
    // Socket paths must exist for haproxy -c only as directories; point them at the temp dir.
    const local = { ...SETTINGS, StatsSocket: join(dir, "s.sock"), StatsPageSocket: join(dir, "p.sock"), ServerStateFile: join(dir, "state"), MapDir: join(dir, "maps") };
    const { name, source } = await loadTemplateSource("");
    const data = toTemplateData(APPS, SERVICES, local);
    await writeMapFiles(data.Maps.map((map) => ({ path: map.Path, entries: map.Entries.map((entry) => ({ key: entry.Key, value: entry.Value })) })));
    await writeFile(file, compileTemplate(name, source)(data));
    expect(await validateConfig("haproxy", file)).toEqual({ ok: true });
  });

  test("routes by the service ACL, else by the app's path, and only to routable tasks", async () => {
    const rendered = await renderDefault();
    expect(rendered).toContain("use_backend %[req.hdr(host),lower,map_str(/run/bamboo/maps/host.map)]");
    expect(rendered).toContain("use_backend %[path,lower,map_beg(/run/bamboo/maps/path-prefix.map)]");
    const maps = toTemplateData(APPS, SERVICES, SETTINGS).Maps;
    expect(maps.find((map) => map.Name === "host.map")?.Entries).toEqual([{ Key: "ghost.local", Value: "::ghost-cluster", Id: "/ghost" }]);
    expect(maps.find((map) => map.Name === "path-prefix.map")?.Entries.map((entry) => `${entry.Key} ${entry.Value}`)).toContain("/shop/web ::shop::web-cluster");
    expect(rendered).toContain("balance url_param sticky");
    expect(rendered).toContain("option httpchk GET /health");
    expect(rendered).toContain("bind 127.0.0.1:15432");
    expect(rendered).not.toContain("10.0.0.4");
  });
});

describe("templates", () => {
  const render = (source: string, data = toTemplateData(APPS, SERVICES, SETTINGS)) => compileTemplate("test.hbs", source)(data);

  test.each([
    ["hasKey", "{{#if (hasKey Services '/ghost')}}yes{{/if}}{{#unless (hasKey Services '/none')}}no{{/unless}}", "yesno"],
    ["getService", "{{#with (getService Services '/ghost')}}{{Acl}}{{/with}}", "hdr(host) -i ghost.local"],
    ["Split and Join", "{{Join (Split 'a-b-c' '-') '+'}}", "a+b+c"],
    ["Contains", "{{#if (Contains 'ghost.local' 'local')}}yes{{/if}}", "yes"],
    ["Replace with a count", "{{Replace 'a.a.a' '.' '_' 1}}", "a_a.a"],
    ["Replace all", "{{Replace 'a.a.a' '.' '_' -1}}", "a_a_a"],
    ["ToUpper and ToLower", "{{ToUpper 'ab'}}{{ToLower 'CD'}}", "ABcd"],
    ["ToInt", "{{ToInt '42'}}", "42"],
    ["eq", "{{#if (eq 1 1)}}same{{/if}}", "same"],
    ["or, an empty list being false as in Go", "{{#if (or Certificates 'x')}}a{{/if}}{{#if (or Certificates 0)}}b{{/if}}", "a"],
    ["and", "{{#if (and 1 'x')}}a{{/if}}{{#if (and 1 Certificates)}}b{{/if}}{{#if (and nothing 'x')}}c{{/if}}", "a"],
    ["not", "{{#if (not Certificates)}}none{{/if}}", "none"],
  ])("Bamboo's helper %s works", (_name, source, expected) => {
    expect(render(source)).toBe(expected);
  });

  test("output is not HTML-escaped", () => {
    expect(render("{{#each Apps}}{{#if HasService}}{{Acl}}{{/if}}{{/each}}", toTemplateData(APPS, [makeService("/ghost", "hdr(x) -m str <a&b>")], SETTINGS))).toBe("hdr(x) -m str <a&b>");
  });

  test("a newline in an app's env cannot add config lines", () => {
    const data = toTemplateData([app({ id: "/x", env: { NOTE: "a\n    stats enable" } })], [], SETTINGS);
    expect(render("{{#each Apps}}{{Env.NOTE}}{{/each}}", data)).toBe("a     stats enable");
  });

  // These fields are made when read, not kept (routing/template-data.ts): Handlebars must be let read them.
  test.each([
    ["MesosDnsId", "{{#each Apps}}{{MesosDnsId}} {{/each}}", "proxy-db ghost secure web-shop "],
    ["SplitId", "{{#each Apps}}{{#each SplitId}}[{{this}}]{{/each}} {{/each}}", "[][db][proxy] [][ghost] [][secure] [][shop][web] "],
    ["HealthChecks", "{{#each Apps}}{{#each HealthChecks}}{{Protocol}} {{Path}} {{PortIndex}};{{/each}}{{/each}}", "HTTP /health 0;HTTPS /ok 0;"],
    ["ServicePort", "{{#each Apps}}{{ServicePort}} {{/each}}", "10000 10000 10000 10000 "],
    ["ServicePorts", "{{#each Apps}}{{#each ServicePorts}}{{this}}{{/each}} {{/each}}", "10000 10000 10000 10000 "],
    ["AllTasks", "{{#each Apps}}{{#each AllTasks}}{{Id}}{{#unless Alive}} (failing){{/unless}} {{/each}}{{/each}}", "proxy.1 (failing) ghost.1 ghost.2 s.1 web.1 "],
    ["Ports", "{{#each Apps}}{{#each Ports}}{{Backend}}:{{#each Servers}}{{Port}}{{/each}} {{/each}}{{/each}}", "::db::proxy-cluster: ::ghost-cluster:3100131002 ::secure-cluster:443 ::shop::web-cluster:31003 "],
  ])("a template reads %s", (_field, source, expected) => {
    expect(render(source)).toBe(expected);
  });

  test("a template reads ReadinessCheckPath", () => {
    expect(render("{{#each Apps}}[{{ReadinessCheckPath}}]{{/each}}", toTemplateData([app({ id: "/r", readinessCheckPath: "/ready" })], [], SETTINGS))).toBe("[/ready]");
  });

  test("a template reads no other inherited property of an app", () => {
    expect(render("{{#each Apps}}[{{toJSON}}{{constructor}}{{__proto__}}]{{/each}}")).toBe("[][][][]");
  });

  test("a template that does not compile is refused with its name", () => {
    expect(() => compileTemplate("broken.hbs", "{{#each Apps}}")).toThrow(TemplateError);
    expect(() => compileTemplate("broken.hbs", "{{#each Apps}}")).toThrow(/broken\.hbs/);
  });

  test("a missing template file is named", async () => {
    await expect(loadTemplateSource("/nonexistent/t.hbs")).rejects.toThrow("/nonexistent/t.hbs does not exist");
  });
});
