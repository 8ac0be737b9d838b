/** Builder-made variations: networking formats, health, readiness, and odd input. */
import { describe, expect, test } from "bun:test";
import { normaliseApp, normaliseAppList, normaliseApps } from "../../src/marathon/normalise.ts";
import { isRoutable, type App } from "../../src/marathon/types.ts";
import { ago, appJson, appList, httpCheck, NOW, readinessCheck, results, taskJson } from "./builders.ts";

function only(raw: Record<string, unknown>): App {
  const { app, problems } = normaliseApp(raw, NOW);
  expect(problems).toEqual([]);
  if (app === null) throw new Error("app expected");
  return app;
}

const IP_TASK = taskJson({ host: "agent-1", ports: [31000, 31001], ipAddresses: [{ ipAddress: "10.9.8.7", protocol: "IPv4" }] });

describe("backend addresses by networking mode", () => {
  const cases = [
    { name: "1.5 host network uses agent host and host ports", app: { networks: [{ mode: "host" }], portDefinitions: [{ port: 10001 }, { port: 10002 }] }, host: "agent-1", ports: [31000, 31001], service: [10001, 10002] },
    { name: "1.5 container/bridge uses agent host and host ports", app: { networks: [{ mode: "container/bridge" }], container: { type: "DOCKER", portMappings: [{ containerPort: 80, hostPort: 0, servicePort: 10005 }, { containerPort: 81, hostPort: 0, servicePort: 10006 }] } }, host: "agent-1", ports: [31000, 31001], service: [10005, 10006] },
    { name: "1.5 container network uses the task IP and container ports", app: { networks: [{ mode: "container", name: "dcos" }], container: { type: "MESOS", portMappings: [{ containerPort: 8080, servicePort: 10007 }, { containerPort: 9090 }] } }, host: "10.9.8.7", ports: [8080, 9090], service: [10007, 0] },
    { name: "old docker USER network uses the task IP and container ports", app: { portDefinitions: [], container: { type: "DOCKER", docker: { network: "USER", portMappings: [{ containerPort: 3000, servicePort: 10008 }] } } }, host: "10.9.8.7", ports: [3000], service: [10008] },
    { name: "old docker HOST network uses agent host ports", app: { ports: [10009], portDefinitions: undefined, container: { type: "DOCKER", docker: { network: "HOST" } } }, host: "agent-1", ports: [31000, 31001], service: [10009] },
    { name: "old ipAddress discovery uses the task IP and discovery ports", app: { portDefinitions: [], ipAddress: { networkName: "dcos", discovery: { ports: [{ number: 7000, name: "a", protocol: "tcp" }] } } }, host: "10.9.8.7", ports: [7000], service: [0] },
    { name: "old bridge with service ports only in 'ports' takes them from there", app: { ports: [10010], portDefinitions: undefined, container: { docker: { network: "BRIDGE", portMappings: [{ containerPort: 80, hostPort: 0 }] } } }, host: "agent-1", ports: [31000, 31001], service: [10010] },
  ];
  test.each(cases)("$name", ({ app, host, ports, service }) => {
    const result = only(appJson({ ...app, tasks: [IP_TASK] }));
    expect(result.tasks[0]?.host).toBe(host);
    expect(result.tasks[0]?.ports).toEqual(ports);
    expect(result.ports.map((port) => port.servicePort)).toEqual(service);
  });

  test("an IP-per-task task without an IP yet has no ports, so it cannot be routed to the agent by mistake", () => {
    const result = only(appJson({ networks: [{ mode: "container" }], container: { portMappings: [{ containerPort: 80 }] }, tasks: [taskJson({ ipAddresses: [] })] }));
    expect(result.tasks[0]?.ports).toEqual([]);
  });
});

describe("health (Bamboo's rule)", () => {
  const cases = [
    { name: "no health checks: alive", checks: [], results: undefined, alive: true, known: true },
    { name: "one check, alive result: alive", checks: [httpCheck()], results: results(true), alive: true, known: true },
    { name: "one check, failing result: not alive", checks: [httpCheck()], results: results(false), alive: false, known: true },
    { name: "two checks, one result: not alive (a result for every check is needed)", checks: [httpCheck(), httpCheck({ protocol: "TCP" })], results: results(true), alive: false, known: true },
    { name: "two checks, both alive: alive", checks: [httpCheck(), httpCheck({ protocol: "TCP" })], results: results(true, true), alive: true, known: true },
    { name: "a COMMAND check counts as Marathon health", checks: [{ protocol: "COMMAND", command: { value: "true" } }], results: results(false), alive: false, known: true },
    { name: "a MESOS_TCP check counts as Marathon health", checks: [{ protocol: "MESOS_TCP", portIndex: 0 }], results: results(true), alive: true, known: true },
    { name: "checks but no results at all: unknown, not alive", checks: [httpCheck()], results: undefined, alive: false, known: false },
    { name: "checks and an empty result list: unknown, not alive", checks: [httpCheck()], results: [], alive: false, known: false },
  ];
  test.each(cases)("$name", ({ checks, results: r, alive, known }) => {
    const task = only(appJson({ healthChecks: checks, tasks: [taskJson({ healthCheckResults: r })] })).tasks[0];
    expect(task?.alive).toBe(alive);
    expect(task?.healthKnown).toBe(known);
  });

  test("health checks are read with Marathon's defaults", () => {
    const app = only(appJson({ healthChecks: [{ protocol: "http" }, { protocol: "TCP", port: 9000, portIndex: 1 }] }));
    expect(app.healthChecks).toEqual([
      { protocol: "HTTP", path: "/", portIndex: 0, port: null, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3 },
      { protocol: "TCP", path: "", portIndex: 1, port: 9000, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3 },
    ]);
  });
});

describe("readiness (Bamboo's Ready)", () => {
  const deploying = { deployments: [{ id: "d-1" }], readinessChecks: [readinessCheck(10)] };
  const cases = [
    { name: "a task that is not running is not ready", app: {}, task: { state: "TASK_STAGING" }, ready: false },
    { name: "no deployment: ready", app: { readinessChecks: [readinessCheck()] }, task: {}, ready: true },
    { name: "deployment without readiness checks: ready", app: { deployments: [{ id: "d-1" }] }, task: {}, ready: true },
    { name: "deployment, result says ready", app: { ...deploying, readinessCheckResults: [{ taskId: "app.task-1", ready: true, name: "ready" }] }, task: {}, ready: true },
    { name: "deployment, result says not ready", app: { ...deploying, readinessCheckResults: [{ taskId: "app.task-1", ready: false, name: "ready" }] }, task: {}, ready: false },
    { name: "deployment, no result, task older than timeout + 5 s margin: ready (previous version)", app: deploying, task: { startedAt: ago(15_001) }, ready: true },
    { name: "deployment, no result, task within timeout + 5 s margin: not ready yet", app: deploying, task: { startedAt: ago(15_000) }, ready: false },
    { name: "deployment, no result, no start time: not ready", app: deploying, task: { startedAt: null }, ready: false },
  ];
  test.each(cases)("$name", ({ app, task, ready }) => {
    expect(only(appJson({ ...app, tasks: [taskJson(task)] })).tasks[0]?.ready).toBe(ready);
  });
});

describe("routability", () => {
  test("a task being killed is not routable even while healthy", () => {
    const task = only(appJson({ tasks: [taskJson({ state: "TASK_KILLING" })] })).tasks[0];
    expect(task && isRoutable(task)).toBe(false);
  });
  test("a running, alive, ready task is routable", () => {
    const task = only(appJson({ tasks: [taskJson()] })).tasks[0];
    expect(task && isRoutable(task)).toBe(true);
  });
  test("a task without state or start time counts as staging", () => {
    expect(only(appJson({ tasks: [taskJson({ state: undefined, startedAt: undefined })] })).tasks[0]?.state).toBe("TASK_STAGING");
  });
});

describe("ids and order", () => {
  test("ids get a leading slash; apps and tasks are sorted by id", () => {
    const { apps } = normaliseAppList(appList(appJson({ id: "b/x", tasks: [taskJson({ id: "t2" }), taskJson({ id: "t10" }), taskJson({ id: "t1" })] }), appJson({ id: "/a" })), NOW);
    expect(apps.map((a) => a.id)).toEqual(["/a", "/b/x"]);
    expect(apps[1]?.tasks.map((t) => t.id)).toEqual(["t1", "t10", "t2"]);
    expect(apps[1]?.tasks[0]?.appId).toBe("/b/x");
  });
  test("a duplicated app id keeps the first and reports the second", () => {
    const result = normaliseApps([appJson({ id: "/a", instances: 1 }), appJson({ id: "a", instances: 2 })], NOW);
    expect(result.apps.map((a) => a.instances)).toEqual([1]);
    expect(result.problems).toHaveLength(1);
  });
});

describe("odd input never throws for the whole list", () => {
  const bad = [
    { name: "an app that is not an object", raw: "nope" as unknown, appId: "" },
    { name: "an app without id", raw: appJson({ id: undefined }), appId: "" },
    { name: "an app whose id is only slashes", raw: appJson({ id: "//" }), appId: "" },
    { name: "an app whose id holds a newline", raw: appJson({ id: "/a\n    stats enable" }), appId: "" },
    { name: "an app whose id holds a NUL", raw: appJson({ id: "/a\u00000\u0000" }), appId: "" },
    { name: "a port that is a string", raw: appJson({ id: "/p", portDefinitions: [{ port: "80" }] }), appId: "/p" },
    { name: "a port out of range", raw: appJson({ id: "/p", ports: [70000], portDefinitions: undefined }), appId: "/p" },
    { name: "healthChecks that is not an array", raw: appJson({ id: "/h", healthChecks: { protocol: "HTTP" } }), appId: "/h" },
    { name: "an unknown network mode", raw: appJson({ id: "/n", networks: [{ mode: "overlay" }] }), appId: "/n" },
    { name: "tasks that is an object", raw: appJson({ id: "/t", tasks: {} }), appId: "/t" },
  ];
  test.each(bad)("$name is reported and skipped; the good app stays", ({ raw, appId }) => {
    const result = normaliseApps([raw, appJson({ id: "/good" })], NOW);
    expect(result.apps.map((a) => a.id)).toEqual(["/good"]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.appId).toBe(appId);
    expect(result.problems[0]?.message.length).toBeGreaterThan(5);
  });

  test("one unreadable task is left out; the app and its other tasks stay", () => {
    const result = normaliseApps([appJson({ id: "/a", tasks: [taskJson({ id: "ok" }), taskJson({ id: "bad", ports: ["x"] }), taskJson({ id: undefined })] })], NOW);
    expect(result.apps[0]?.tasks.map((t) => t.id)).toEqual(["ok"]);
    expect(result.problems.map((p) => p.appId)).toEqual(["/a", "/a"]);
  });

  test.each([null, 42, "text", [], { apps: "x" }].map((body) => ({ body, text: JSON.stringify(body) })))("the body $text is one problem, not an exception", ({ body }) => {
    const result = normaliseAppList(body, NOW);
    expect(result.apps).toEqual([]);
    expect(result.problems).toHaveLength(1);
  });
});

describe("each port's description", () => {
  test.each([
    {
      name: "portDefinitions carry protocol, name and labels",
      app: { portDefinitions: [{ port: 10001, protocol: "TCP", name: "http", labels: { VIP_0: "/shop:80" } }, { port: 10002, protocol: "udp,tcp" }] },
      ports: [
        { servicePort: 10001, protocol: "tcp", name: "http", labels: { VIP_0: "/shop:80" } },
        { servicePort: 10002, protocol: "udp,tcp", name: "", labels: {} },
      ],
    },
    {
      name: "portMappings carry them too",
      app: { networks: [{ mode: "container/bridge" }], container: { portMappings: [{ containerPort: 80, servicePort: 10003, name: "web", protocol: "tcp" }, { containerPort: 53, servicePort: 10004, protocol: "udp" }] } },
      ports: [
        { servicePort: 10003, protocol: "tcp", name: "web", labels: {} },
        { servicePort: 10004, protocol: "udp", name: "", labels: {} },
      ],
    },
    { name: "the oldest `ports` are plain TCP", app: { ports: [10005], portDefinitions: undefined }, ports: [{ servicePort: 10005, protocol: "tcp", name: "", labels: {} }] },
  ])("$name", ({ app, ports }) => {
    expect(only(appJson({ ...app, tasks: [] })).ports).toEqual(ports);
  });

  test("a port whose labels are not strings keeps the string ones; a protocol that is not a string leaves the app out", () => {
    expect(only(appJson({ portDefinitions: [{ port: 10001, labels: { A: "1", B: 2 } }], tasks: [] })).ports[0]?.labels).toEqual({ A: "1" });
    const refused = normaliseApp(appJson({ portDefinitions: [{ port: 10001, protocol: 6 }], tasks: [] }), 0);
    expect(refused.app).toBeNull();
    expect(refused.problems[0]?.message).toContain("app.portDefinitions[0].protocol should be a string");
  });
});
