import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config/load.ts";

const problemsOf = (run: () => unknown): readonly string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("loadConfig", () => {
  test("defaults apply when nothing is given", () => {
    const { config, warnings } = loadConfig({ env: {} });
    expect(config.marathon.endpoints).toEqual(["http://localhost:8080"]);
    expect(config.marathon.useEventStream).toBe(true);
    expect(config.bamboo.bind).toEqual({ host: "", port: 8000 });
    expect(config.haproxy.httpBind).toEqual({ host: "", port: 80 });
    expect(config.haproxy.outputPath).toBe("/var/lib/bamboo/haproxy.cfg");
    expect(config.zookeeper.path).toBe("/marathon-haproxy/state");
    expect(warnings).toEqual([]);
  });

  test("reads need the viewer or the admin unless opened on purpose", () => {
    const { config } = loadConfig({ env: {} });
    expect([config.bamboo.viewerUser, config.bamboo.viewerPassword, config.bamboo.readAuth, config.bamboo.metricsAuth]).toEqual(["viewer", "", true, true]);
    const opened = loadConfig({ env: { BAMBOO_API_READ_AUTH: "false" }, file: { Bamboo: { Api: { MetricsAuth: false, ViewerUser: "ops" } } } }).config;
    expect([opened.bamboo.viewerUser, opened.bamboo.readAuth, opened.bamboo.metricsAuth]).toEqual(["ops", false, false]);
  });

  test("a Bamboo config file is read with case-insensitive keys", () => {
    const file = {
      marathon: { endpoint: "http://m1:8080, http://m2:8080/", useeventstream: false },
      BAMBOO: { Zookeeper: { HOST: "zk1:2181,zk2:2181/chroot", Path: "/x/y" } },
      HAProxy: { TemplatePath: "/etc/t.hbs" },
    };
    const { config } = loadConfig({ env: {}, file });
    expect(config.marathon.endpoints).toEqual(["http://m1:8080", "http://m2:8080"]);
    expect(config.marathon.useEventStream).toBe(false);
    expect(config.zookeeper.hosts).toEqual(["zk1:2181", "zk2:2181/chroot"]);
    expect(config.zookeeper.path).toBe("/x/y");
    expect(config.haproxy.templatePath).toBe("/etc/t.hbs");
  });

  test("environment overrides the file and flags override the environment", () => {
    const { config } = loadConfig({
      env: { MARATHON_ENDPOINT: "http://env:8080", BAMBOO_BIND: "127.0.0.1:9000", HAPROXY_HTTP_BIND: "127.0.0.1:8081" },
      file: { Marathon: { Endpoint: "http://file:8080" }, Bamboo: { Bind: ":7000" } },
      flags: { BAMBOO_BIND: "127.0.0.1:9001" },
    });
    expect(config.marathon.endpoints).toEqual(["http://env:8080"]);
    expect(config.bamboo.bind).toEqual({ host: "127.0.0.1", port: 9001 });
    expect(config.haproxy.httpBind).toEqual({ host: "127.0.0.1", port: 8081 });
  });

  test("an empty environment variable does not override, as in Bamboo", () => {
    const { config } = loadConfig({ env: { MARATHON_ENDPOINT: "" }, file: { Marathon: { Endpoint: "http://file:8080" } } });
    expect(config.marathon.endpoints).toEqual(["http://file:8080"]);
  });

  test.each([
    [{ BAMBOO_BIND: "8000" }, "BAMBOO_BIND='8000': expected an address such as :8000"],
    [{ HAPROXY_HTTP_BIND: "127.0.0.1:99999" }, "HAPROXY_HTTP_BIND='127.0.0.1:99999'"],
    [{ MARATHON_ENDPOINT: "marathon:8080" }, "MARATHON_ENDPOINT='marathon:8080': expected one or more http:// or https:// URLs"],
    [{ MARATHON_USE_EVENT_STREAM: "maybe" }, "MARATHON_USE_EVENT_STREAM='maybe': expected true or false"],
    [{ MARATHON_STREAM_TIMEOUT: "30" }, "MARATHON_STREAM_TIMEOUT='30': expected a duration"],
    [{ BAMBOO_ZK_PATH: "relative/path" }, "BAMBOO_ZK_PATH='relative/path': expected an absolute ZooKeeper path"],
    [{ BAMBOO_ZK_AUTH: "nopassword" }, "BAMBOO_ZK_AUTH: expected 'user:password'"],
    [{ BAMBOO_ZK_SESSION_TIMEOUT: "500ms" }, "BAMBOO_ZK_SESSION_TIMEOUT=0.5s: expected 2s to 60s"],
    [{ BAMBOO_ZK_SESSION_TIMEOUT: "5m" }, "BAMBOO_ZK_SESSION_TIMEOUT=300s: expected 2s to 60s"],
    [{ BAMBOO_API_USER: "a\nb" }, "BAMBOO_API_USER='a\nb': expected text without newlines"],
    [{ BAMBOO_API_READ_AUTH: "maybe" }, "BAMBOO_API_READ_AUTH='maybe': expected true or false"],
    [{ BAMBOO_VIEWER_USER: "admin" }, "BAMBOO_VIEWER_USER='admin' is also BAMBOO_API_USER: give the read-only viewer a name of its own"],
    [{ BAMBOO_TRAFFIC_INTERVAL: "10ms" }, "BAMBOO_TRAFFIC_INTERVAL=10ms: expected 100ms to 60s, or off"],
    [{ BAMBOO_TRAFFIC_INTERVAL: "5m" }, "BAMBOO_TRAFFIC_INTERVAL=300000ms: expected 100ms to 60s, or off"],
    [{ BAMBOO_TRAFFIC_INTERVAL: "often" }, "BAMBOO_TRAFFIC_INTERVAL='often': expected a duration"],
    [{ BAMBOO_GROUPS: "external,in ternal" }, "BAMBOO_GROUPS: 'in ternal' is not a group name"],
    [{ BAMBOO_UNGROUPED_APPS: "maybe" }, "BAMBOO_UNGROUPED_APPS='maybe': expected one of skip, serve"],
  ])("invalid %p is refused naming the setting", (env, expected) => {
    const problems = problemsOf(() => loadConfig({ env }));
    expect(problems.join("\n")).toContain(expected);
  });

  test.each([
    ["5s", 5000],
    ["off", null],
  ])("BAMBOO_TRAFFIC_INTERVAL=%p samples every %p ms (null: not at all)", (raw, expected) => {
    expect(loadConfig({ env: { BAMBOO_TRAFFIC_INTERVAL: raw } }).config.bamboo.trafficIntervalMs).toBe(expected);
  });

  test("BAMBOO_GROUPS: a list of groups, ungrouped apps skipped unless asked", () => {
    expect(loadConfig({ env: { BAMBOO_GROUPS: "external, edge" } }).config.bamboo.groups).toEqual({ groups: ["external", "edge"], ungrouped: "skip" });
    expect(loadConfig({ env: {} }).config.bamboo.groups).toEqual({ groups: [], ungrouped: "skip" });
    expect(loadConfig({ env: { BAMBOO_GROUPS: "*", BAMBOO_UNGROUPED_APPS: "serve" } }).config.bamboo.groups).toEqual({ groups: ["*"], ungrouped: "serve" });
  });

  test("every invalid setting is reported at once", () => {
    const problems = problemsOf(() => loadConfig({ env: { BAMBOO_BIND: "x", HAPROXY_HTTP_BIND: "y" } }));
    expect(problems).toHaveLength(2);
  });

  test("a file value of the wrong type names the key and the file", () => {
    const problems = problemsOf(() => loadConfig({ env: {}, file: { Marathon: { Endpoint: ["a"] } }, fileName: "bamboo.json" }));
    expect(problems).toEqual(["Marathon.Endpoint in bamboo.json: expected a string, number or boolean"]);
  });

  test("retired Bamboo settings and unknown keys are reported as ignored", () => {
    const { warnings } = loadConfig({
      env: { HAPROXY_RELOAD_CMD: "haproxy -sf ..." },
      file: { HAProxy: { ReloadValidationCommand: "haproxy -c -f {{.}}" }, Bamboo: { Zookeeper: { ReportingDelay: 5 } }, Extra: { Thing: 1 } },
      fileName: "production.json",
    });
    expect(warnings).toContain("HAPROXY_RELOAD_CMD is ignored: bamboo reloads its own HAProxy through the master CLI");
    expect(warnings.some((w) => w.startsWith("HAProxy.ReloadValidationCommand in production.json is ignored"))).toBe(true);
    expect(warnings.some((w) => w.startsWith("Bamboo.Zookeeper.ReportingDelay in production.json is ignored"))).toBe(true);
    expect(warnings).toContain("unknown key 'extra.thing' in production.json is ignored");
  });

  test("the configuration is frozen", () => {
    const { config } = loadConfig({ env: {} });
    expect(Object.isFrozen(config.marathon.endpoints)).toBe(true);
  });
});

test("the example config shipped with releases loads without warnings", async () => {
  const file = await Bun.file(new URL("../../image/bamboo.example.json", import.meta.url)).json();
  const { config, warnings } = loadConfig({ env: {}, file, fileName: "bamboo.example.json" });
  expect(warnings).toEqual([]);
  expect(config.zookeeper.hosts).toHaveLength(3);
});
