import { describe, expect, test } from "bun:test";
import { Compiler, type CompileInput, type OutsideAnswers } from "../../src/compile/compiler.ts";
import { ruleParser } from "../../src/routing/acl/index.ts";
import type { AclVerdict } from "../../src/haproxy/acl-check.ts";
import { compileTemplate } from "../../src/haproxy/template.ts";
import type { App } from "../../src/marathon/types.ts";
import { makeService, type Service } from "../../src/store/types.ts";
import { app, servicePorts as portsNumbered, task, TEMPLATE_SETTINGS } from "../routing/builders.ts";

/** One backend per app with its rule and servers, and a listener when BAMBOO_TCP_PORT is set. */
const TEMPLATE = `frontend http-in
    bind 127.0.0.1:65530
{{#each Routes}}
    use_backend {{EscapedId}}-cluster if { {{Acl}} }
{{/each}}
{{#each Apps}}
backend {{EscapedId}}-cluster
{{#if Env.BAMBOO_TCP_PORT}}
    # tcp {{Env.BAMBOO_TCP_PORT}}
{{/if}}
{{#each Tasks}}
    server {{Id}} {{Host}}:{{Port}} check
{{/each}}
{{/each}}
`;

const NO_ANSWERS: OutsideAnswers = { hosts: new Map(), rules: new Map() };
const compiler = () => new Compiler(compileTemplate("test", TEMPLATE), TEMPLATE_SETTINGS);
const web = (id: string, overrides: Partial<App> = {}) => app({ id, tasks: [task({ id: `${id.slice(1)}.1`, host: "10.0.0.1", ports: [31000] })], ...overrides });
const compileFresh = (input: Partial<CompileInput> & { apps: readonly App[] }) => compiler().compile({ services: [], answers: NO_ANSWERS, previous: null, ...input });

describe("Compiler: what is not routed as written", () => {
  const rejected: AclVerdict = { ok: false, message: "HAProxy rejects the ACL: unknown fetch method 'nosuchfetch'" };
  test.each<[string, { apps: App[]; services?: Service[]; answers?: OutsideAnswers; leaveOut?: Map<string, string> }, { acl?: string; servers?: number; absent?: boolean; problem: string }]>([
    [
      "a stored rule HAProxy rejects: the app falls back to its default path rule",
      { apps: [web("/a")], services: [makeService("/a", "nosuchfetch -i x")], answers: { hosts: new Map(), rules: new Map([["nosuchfetch -i x", rejected]]) } },
      { acl: "path_beg -i /a", problem: "rule not routed, the app falls back to its default path rule: HAProxy rejects the ACL: unknown fetch method 'nosuchfetch'" },
    ],
    [
      "a stored rule whose pattern no map file could hold as a key (written by another tool) falls back too",
      { apps: [web("/a")], services: [makeService("/a", "path_beg /a\\ b")], answers: { hosts: new Map(), rules: new Map([["path_beg /a\\ b", { ok: true }]]) } },
      { acl: "path_beg -i /a", problem: "rule not routed, the app falls back to its default path rule: pattern '/a b' holds the character ' ' (space, U+0020), which a map file's key cannot hold" },
    ],
    [
      "a stored rule HAProxy was not asked about is not routed either",
      { apps: [web("/a")], services: [makeService("/a", "hdr(host) -i a.local")] },
      { acl: "path_beg -i /a", problem: "rule not routed, the app falls back to its default path rule: HAProxy was not asked about it" },
    ],
    [
      "a task whose agent does not resolve is left out",
      {
        apps: [web("/a", { tasks: [task({ id: "a.1", host: "gone.example", ports: [31000] })] })],
        answers: { hosts: new Map([["gone.example", { address: null, error: "ENOTFOUND" }]]), rules: new Map() },
      },
      { servers: 0, problem: "task a.1 left out: its host gone.example does not resolve (ENOTFOUND)" },
    ],
    [
      "a setting that would break the config is ignored",
      { apps: [web("/a", { env: { BAMBOO_TCP_PORT: "postgres" } })] },
      { servers: 1, problem: "env BAMBOO_TCP_PORT='postgres' ignored: expected a port number from 1 to 65535" },
    ],
    [
      "an app HAProxy blamed is left out, with HAProxy's words",
      { apps: [web("/a")], leaveOut: new Map([["/a", "balance only supports..."]]) },
      { absent: true, problem: "app left out: HAProxy refuses the config with it and the others route without it: balance only supports..." },
    ],
  ])("%s", (_name, input, expected) => {
    const { config, data, problems } = compileFresh(input);
    expect(problems).toEqual([{ id: "/a", message: expected.problem }]);
    expect(data.Apps).toHaveLength(expected.absent ? 0 : 1);
    const [only] = data.Apps;
    if (expected.acl !== undefined) {
      expect(only!.Acl).toBe(expected.acl);
      expect(config.text).toContain(`use_backend ::a-cluster if { ${expected.acl} }`);
    }
    if (expected.servers !== undefined) expect(only!.Tasks).toHaveLength(expected.servers);
    expect(config.text).not.toContain("# tcp");
  });

  test("an agent's name becomes the address DNS gave", () => {
    const named = web("/a", { tasks: [task({ id: "a.1", host: "agent-1.example", ports: [31000] })] });
    const { config, problems } = compileFresh({ apps: [named], answers: { hosts: new Map([["agent-1.example", { address: "10.1.0.1", error: "" }]]), rules: new Map() } });
    expect(problems).toEqual([]);
    expect(config.text).toContain("server slot1 10.1.0.1:31000 check");
  });
});

describe("Compiler: the config", () => {
  test("servers are slotted; a fresh compile fills slots in order", () => {
    const { config } = compileFresh({ apps: [web("/a", { tasks: [task({ id: "a.1", host: "10.0.0.1" }), task({ id: "a.2", host: "10.0.0.2" })] })] });
    expect(config.text).toContain("    server slot1 10.0.0.1:31000 check\n    server slot2 10.0.0.2:31000 check\n    server slot3 127.0.0.1:1 check disabled");
    expect(config.layout.get("backend ::a-cluster")!.slots).toHaveLength(4); // 2 tasks: twice as many slots (haproxy/slots.ts)
  });

  test("compiled against the running config, a task keeps its slot", () => {
    const one = compiler();
    const both = [task({ id: "a.1", host: "10.0.0.1" }), task({ id: "a.2", host: "10.0.0.2" })];
    const running = one.compile({ apps: [web("/a", { tasks: both })], services: [], answers: NO_ANSWERS, previous: null }).config;
    const next = one.compile({ apps: [web("/a", { tasks: [both[1]!] })], services: [], answers: NO_ANSWERS, previous: running }).config;
    expect(next.layout.get("backend ::a-cluster")!.slots.slice(0, 2)).toEqual([null, { host: "10.0.0.2", port: 31000 }]);
  });

  test("what did not change keeps its objects from one compile to the next", () => {
    const one = compiler();
    const [a, b] = [web("/a"), web("/b")];
    const rules = [makeService("/a", "hdr(host) -i a.local")];
    const answers: OutsideAnswers = { hosts: new Map(), rules: new Map([["hdr(host) -i a.local", { ok: true }]]) };
    const first = one.compile({ apps: [a, b], services: rules, answers, previous: null });
    const second = one.compile({ apps: [a, web("/b", { tasks: [] })], services: rules, answers, previous: first.config });
    expect(second.data.Apps[0]).toBe(first.data.Apps[0]!);
    expect(second.data.Services).toBe(first.data.Services);
    expect(second.config.sections.find((section) => section.header === "backend ::a-cluster")).toBe(first.config.sections.find((section) => section.header === "backend ::a-cluster")!);
    expect(second.config.reread.map((section) => section.header)).toEqual(["backend ::b-cluster"]);
  });

  test("compilers share nothing: each compiles from its own history", () => {
    const a = web("/a");
    const answers: OutsideAnswers = { hosts: new Map(), rules: new Map([["hdr(host) -i a.local", { ok: true }]]) };
    const withRule = compiler().compile({ apps: [a], services: [makeService("/a", "hdr(host) -i a.local")], answers, previous: null });
    const without = compiler().compile({ apps: [a], services: [], answers, previous: null });
    expect(withRule.data.Apps[0]!.Acl).toBe("hdr(host) -i a.local");
    expect(without.data.Apps[0]!.Acl).toBe("path_beg -i /a");
    expect(without.data.Apps[0]).not.toBe(withRule.data.Apps[0]!);
  });
});

describe("Compiler: groups", () => {
  test("apps of other groups are left to other instances: not rendered, named in `elsewhere`, no problem", () => {
    const grouped = new Compiler(compileTemplate("test", TEMPLATE), TEMPLATE_SETTINGS, { groups: { groups: ["external"], ungrouped: "skip" } });
    const apps = [web("/edge", { labels: { HAPROXY_GROUP: "external" } }), web("/inside", { labels: { HAPROXY_GROUP: "internal" } }), web("/plain")];
    const compiled = grouped.compile({ apps, services: [makeService("/inside", "hdr(host) -i inside.local")], answers: NO_ANSWERS, previous: null });
    expect(compiled.data.Apps.map((one) => one.Id)).toEqual(["/edge"]);
    expect(compiled.elsewhere).toEqual(["/inside", "/plain"]);
    expect(compiled.config.text).toContain("backend ::edge-cluster");
    expect(compiled.config.text).not.toContain("::inside");
    expect(compiled.problems).toEqual([]);
  });

  test("without BAMBOO_GROUPS every app is served", () => {
    const compiled = compileFresh({ apps: [web("/inside", { labels: { HAPROXY_GROUP: "internal" } })] });
    expect(compiled.data.Apps.map((one) => one.Id)).toEqual(["/inside"]);
    expect(compiled.elsewhere).toEqual([]);
  });
});

describe("Compiler: service ports", () => {
  const servicePorts = { bind: { off: false as const, addresses: ["127.0.0.1"] }, reserved: new Map<number, string>() };
  const twoApps = [web("/a"), web("/b", { labels: { HAPROXY_0_PORT: "10000" } })];

  test("a template that names them gets the listeners, their map files and the clashes reported", () => {
    const source = `${TEMPLATE}{{#each ServicePorts.HttpBinds}}\n# bind {{this}}\n{{/each}}`;
    const compiled = new Compiler(compileTemplate("ports", source), TEMPLATE_SETTINGS, { servicePorts }).compile({ apps: twoApps, services: [], answers: NO_ANSWERS, previous: null });
    expect(compiled.data.ServicePorts.Listened).toEqual({ http: 1, tcp: 0 });
    expect(compiled.maps.map((map) => map.path)).toContain(`${TEMPLATE_SETTINGS.MapDir}/service-ports-http.map`);
    expect(compiled.problems).toContainEqual({ id: "/b", message: "service port 10000 not listened on: /a has it" });
  });

  test("a Bamboo template that never names them listens on none, and none is said to listen or clash", () => {
    const compiled = new Compiler(compileTemplate("bamboo", TEMPLATE), TEMPLATE_SETTINGS, { servicePorts }).compile({ apps: twoApps, services: [], answers: NO_ANSWERS, previous: null });
    expect(compiled.data.ServicePorts.Listened).toEqual({ http: 0, tcp: 0 });
    expect(compiled.maps.some((map) => map.path.includes("service-ports"))).toBe(false);
    expect(compiled.problems).toEqual([]);
    expect(compiled.servicePorts.size).toBe(0);
  });

  test("a stored rule of an app whose port 0 is TCP is said not to be routed, and the app is off the HTTP frontend", () => {
    const source = `${TEMPLATE}{{#each ServicePorts.TcpBinds}}\n# bind {{this}}\n{{/each}}`;
    const cache = web("/cache", { labels: { HAPROXY_0_MODE: "tcp" } });
    const compiled = new Compiler(compileTemplate("ports", source), TEMPLATE_SETTINGS, { servicePorts }).compile({
      apps: [cache, web("/shop", { ports: portsNumbered(10001) })],
      services: [makeService("/cache", "hdr(host) -i cache.example"), makeService("/shop", "hdr(host) -i shop.example")],
      answers: { hosts: new Map(), rules: new Map([["hdr(host) -i cache.example", { ok: true }], ["hdr(host) -i shop.example", { ok: true }]]) },
      previous: null,
    });
    expect(compiled.data.Routes.map((route) => route.Id)).toEqual(["/shop"]);
    expect(compiled.problems).toEqual([{ id: "/cache", message: "rule hdr(host) -i cache.example not routed on the HTTP frontend: its port 0 is TCP (label HAPROXY_0_MODE)" }]);
  });
});

describe("Compiler: the rule parser it is given", () => {
  test("stored rules and label rules are read through the appliance's parser, which the API's checks share", () => {
    const texts: string[] = [];
    const shared = ruleParser();
    const parseRule = (text: string) => {
      texts.push(text);
      return shared(text);
    };
    const withParser = new Compiler(compileTemplate("test", TEMPLATE), TEMPLATE_SETTINGS, { parseRule });
    const services = [makeService("/a", "hdr(host) -i a.local")];
    const answers: OutsideAnswers = { hosts: new Map(), rules: new Map([["hdr(host) -i a.local", { ok: true }]]) };
    const labelled = web("/c", { labels: { HAPROXY_0_VHOST: "c.local" } });
    const compiled = withParser.compile({ apps: [web("/a"), web("/b"), labelled], services, answers, previous: null });
    expect(compiled.data.Routes.map((route) => route.Acl).sort()).toEqual(["hdr(host) -i a.local", "hdr(host) -i c.local", "path_beg -i /b"]);
    expect([...new Set(texts)].sort()).toEqual(["hdr(host) -i a.local", "hdr(host) -i c.local", "path_beg -i /b"]);
  });
});
