/**
 * Every Marathon payload in test/fixtures, normalised, with the exact backends expected.
 * App definitions without tasks get one synthetic task so their networking mode is checked too.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { normaliseAppList, normaliseApps } from "../../src/marathon/normalise.ts";
import type { App, AppList } from "../../src/marathon/types.ts";
import { appJson, NOW, taskJson } from "./builders.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures");

async function load(path: string): Promise<any> {
  return Bun.file(join(FIXTURES, path)).json();
}

/** One line per task: `host:[ports] state alive|dead|unknown ready|unready`. */
function taskLines(app: App): string[] {
  return app.tasks.map((t) => {
    const health = !t.healthKnown ? "unknown" : t.alive ? "alive" : "dead";
    return `${t.id} ${t.host}:[${t.ports.join(",")}] ${t.state} ${health} ${t.ready ? "ready" : "unready"}`;
  });
}

interface Summary {
  id: string;
  servicePorts: readonly number[];
  checks: string[];
  readiness: string;
  tasks: string[];
}

function summarise(list: AppList): { apps: Summary[]; problems: number } {
  return {
    apps: list.apps.map((a) => ({
      id: a.id,
      servicePorts: a.ports.map((port) => port.servicePort),
      checks: a.healthChecks.map((c) => `${c.protocol} ${c.path} #${c.portIndex}`),
      readiness: a.readinessCheckPath,
      tasks: taskLines(a),
    })),
    problems: list.problems.length,
  };
}

/** The synthetic task given to definitions: host ports 31000/31001 on agent-1, container IP 10.1.2.3. */
const PROBE_TASK = taskJson({ id: "probe.1", host: "agent-1", ports: [31000, 31001], ipAddresses: [{ ipAddress: "10.1.2.3", protocol: "IPv4" }] });

async function definition(path: string): Promise<AppList> {
  return normaliseApps([{ ...(await load(path)), tasks: [PROBE_TASK] }], NOW);
}

const HOST_1 = "probe.1 agent-1:[31000,31001] TASK_RUNNING alive ready";
/** The same task when the app has health checks: the probe carries no results. */
const UNKNOWN_1 = "probe.1 agent-1:[31000,31001] TASK_RUNNING unknown ready";

interface Case {
  name: string;
  fixture: string;
  run: () => Promise<AppList>;
  expected: { apps: Summary[]; problems: number };
}

const app = (id: string, servicePorts: number[], tasks: string[], checks: string[] = [], readiness = ""): Summary => ({
  id,
  servicePorts,
  checks,
  readiness,
  tasks,
});

const NGINX_CHECK_15 = ["MESOS_HTTP / #0"];
const cases: Case[] = [
  // marathon/api
  { name: "an app with only a Mesos 'check' has no health checks (host)", fixture: "marathon/api/app-check-http-example.json", run: () => definition("marathon/api/app-check-http-example.json"), expected: { apps: [app("/http-index-test", [0], [HOST_1])], problems: 0 } },
  { name: "docker BRIDGE wins over a stray ipAddress and routes to host ports; checks without results are unknown", fixture: "marathon/api/app.json", run: () => definition("marathon/api/app.json"), expected: { apps: [app("/foo", [10019], [UNKNOWN_1], ["HTTP / #0"], "/v1/plan")], problems: 0 } },
  { name: "the documented app list uses the old 'ports' field (host)", fixture: "marathon/api/app_list.json", run: async () => normaliseAppList(await load("marathon/api/app_list.json"), NOW), expected: { apps: [app("/myapp", [10013, 10015], [])], problems: 0 } },
  { name: "a staging task is neither running nor ready", fixture: "marathon/api/app_task.json", run: async () => normaliseApps([appJson({ id: "/minecraft/survival-world", tasks: [(await load("marathon/api/app_task.json")).task] })], NOW), expected: { apps: [app("/minecraft/survival-world", [10000], ["minecraft_survival-world.instance-564bd685-4c30-11e5-98c1-be5b2935a987 srv7.hw.ca1.mesosphere.com:[31756] TASK_STAGING alive unready"])], problems: 0 } },
  { name: "an app's task list keeps a staging task, unready", fixture: "marathon/api/app_tasks.json", run: async () => normaliseApps([appJson({ id: "/minecraft/survival-world", tasks: (await load("marathon/api/app_tasks.json")).tasks })], NOW), expected: { apps: [app("/minecraft/survival-world", [10000], ["minecraft_survival-world.instance-564bd685-4c30-11e5-98c1-be5b2935a987 srv7.hw.ca1.mesosphere.com:[31756] TASK_STAGING alive unready"])], problems: 0 } },
  {
    name: "tasks from /v2/tasks route to their agents' host ports",
    fixture: "marathon/api/tasks.json",
    run: async () => {
      const tasks: any[] = (await load("marathon/api/tasks.json")).tasks;
      return normaliseApps(["/tools/docker/registry", "/frontend-foosball"].map((id) => appJson({ id, tasks: tasks.filter((t) => t.appId === id) })), NOW);
    },
    expected: {
      apps: [
        app("/frontend-foosball", [10000], ["frontend-foosball.083be411-5d1f-11e5-88f7-56b91e7a505b srv4.example.com:[31292] TASK_RUNNING alive ready"]),
        app("/tools/docker/registry", [10000], ["tools_docker_registry.002b4d28-46b9-11e5-b731-525400cce7ed srv2.example.com:[31721] TASK_RUNNING alive ready"]),
      ],
      problems: 0,
    },
  },
  { name: "a deployments answer is not an app list: one problem, no apps", fixture: "marathon/api/deployments.json", run: async () => normaliseAppList(await load("marathon/api/deployments.json"), NOW), expected: { apps: [], problems: 1 } },
  { name: "an info answer is not an app list: one problem, no apps", fixture: "marathon/api/info.json", run: async () => normaliseAppList(await load("marathon/api/info.json"), NOW), expected: { apps: [], problems: 1 } },
  {
    name: "apps of a group tree: docker HOST and BRIDGE, sorted by id",
    fixture: "marathon/api/group.json",
    run: async () => normaliseApps(groupApps(await load("marathon/api/group.json")).map((a) => ({ ...a, tasks: [PROBE_TASK] })), NOW),
    expected: {
      apps: [app("/tools/datadog-agent", [10018], [HOST_1]), app("/tools/docker/registry", [5000], [HOST_1]), app("/tools/oauth-server", [1980], [UNKNOWN_1], ["HTTP / #0"])],
      problems: 0,
    },
  },
  {
    name: "apps waiting in the launch queue",
    fixture: "marathon/api/queue.json",
    run: async () => normaliseApps((await load("marathon/api/queue.json")).queue.map((q: any) => q.app), NOW),
    expected: { apps: [app("/foo", [10010], []), app("/tools/datadog-agent", [10018], [])], problems: 0 },
  },
  // marathon/apps
  { name: "bridge with two mappings and no service ports yet", fixture: "marathon/apps/app-with-https-readiness-checks.json", run: () => definition("marathon/apps/app-with-https-readiness-checks.json"), expected: { apps: [app("/app-with-https-readiness-checks", [0, 0], [HOST_1], [], "/")], problems: 0 } },
  { name: "docker bridge routes to host ports", fixture: "marathon/apps/docker-http-server.json", run: () => definition("marathon/apps/docker-http-server.json"), expected: { apps: [app("/docker-http-server", [0], [HOST_1])], problems: 0 } },
  { name: "a bare command app is host networking without declared ports", fixture: "marathon/apps/http-server.json", run: () => definition("marathon/apps/http-server.json"), expected: { apps: [app("/http-server", [], [HOST_1])], problems: 0 } },
  { name: "1.5 container network routes to the task IP and container port; a MESOS_HTTP check without results is unknown", fixture: "marathon/apps/ipv6-healthcheck.json", run: () => definition("marathon/apps/ipv6-healthcheck.json"), expected: { apps: [app("/test-ipv6", [0], ["probe.1 10.1.2.3:[8080] TASK_RUNNING unknown ready"], ["MESOS_HTTP / #0"])], problems: 0 } },
  { name: "fixed host port in bridge mode", fixture: "marathon/apps/pinger-bridge-app.json", run: () => definition("marathon/apps/pinger-bridge-app.json"), expected: { apps: [app("/pinger-bridge-app", [0], [HOST_1])], problems: 0 } },
  { name: "old ipAddress discovery ports route to the task IP", fixture: "marathon/apps/pinger-container-app.json", run: () => definition("marathon/apps/pinger-container-app.json"), expected: { apps: [app("/pinger-container-app", [0], ["probe.1 10.1.2.3:[7777] TASK_RUNNING alive ready"])], problems: 0 } },
  { name: "host networking with a fixed port definition", fixture: "marathon/apps/pinger-localhost-app.json", run: () => definition("marathon/apps/pinger-localhost-app.json"), expected: { apps: [app("/pinger-localhost-app", [7777], [HOST_1])], problems: 0 } },
  { name: "readiness and health checks; no results means health unknown", fixture: "marathon/apps/readiness-and-health-app.json", run: () => definition("marathon/apps/readiness-and-health-app.json"), expected: { apps: [app("/readiness-and-health-app", [0], [UNKNOWN_1], ["HTTP / #0"], "/")], problems: 0 } },
  { name: "a MESOS container without networking is host networking", fixture: "marathon/apps/ucr-docker-http-server.json", run: () => definition("marathon/apps/ucr-docker-http-server.json"), expected: { apps: [app("/ucr-docker-http-server", [], [HOST_1])], problems: 0 } },
  // marathon-lb
  { name: "1.5 container/bridge definition gets a slash and routes to host ports", fixture: "marathon-lb/1-nginx-marathon1.5.json", run: () => definition("marathon-lb/1-nginx-marathon1.5.json"), expected: { apps: [app("/nginx", [10000], [UNKNOWN_1], NGINX_CHECK_15)], problems: 0 } },
  { name: "old BRIDGE definition gets a slash and routes to host ports", fixture: "marathon-lb/1-nginx.json", run: () => definition("marathon-lb/1-nginx.json"), expected: { apps: [app("/nginx", [10000], [UNKNOWN_1], ["HTTP / #0"])], problems: 0 } },
  { name: "a real 1.5 list: bridge routes to agent host port, not the container IP", fixture: "marathon-lb/marathon15_apps.json", run: async () => normaliseAppList(await load("marathon-lb/marathon15_apps.json"), NOW), expected: { apps: [app("/pywebserver", [10101], ["pywebserver.8cad6a69-6ca8-11e7-beb2-0e2beceebfcc 10.0.2.148:[1565] TASK_RUNNING alive ready"])], problems: 0 } },
  {
    name: "tasks without a state but with a start time are running; sorted by id",
    fixture: "marathon-lb/zdd_app_blue.json",
    run: async () => normaliseAppList(await load("marathon-lb/zdd_app_blue.json"), NOW),
    expected: {
      apps: [
        app("/nginx-green", [10000], [
          "nginx-green.0dbabba6-c931-11e5-9836-026ee08d9f6f 10.0.6.25:[31184] TASK_RUNNING alive ready",
          "nginx-green.1883a887-c931-11e5-9836-026ee08d9f6f 10.0.6.25:[16916] TASK_RUNNING alive ready",
          "nginx-green.23532518-c931-11e5-9836-026ee08d9f6f 10.0.6.25:[23336] TASK_RUNNING alive ready",
        ], ["HTTP / #0"]),
      ],
      problems: 0,
    },
  },
  {
    name: "1.5 results keyed by instanceId still count as alive",
    fixture: "marathon-lb/zdd_app_blue_marathon1.5.json",
    run: async () => normaliseAppList(await load("marathon-lb/zdd_app_blue_marathon1.5.json"), NOW),
    expected: {
      apps: [
        app("/nginx-green", [10000], [
          "nginx-green.01bf22d4-68a7-11e7-a229-e6a514ca0c21 10.0.6.25:[23336] TASK_RUNNING alive ready",
          "nginx-green.01da9a15-68a7-11e7-a229-e6a514ca0c21 10.0.6.25:[16916] TASK_RUNNING alive ready",
          "nginx-green.01dc95e6-68a7-11e7-a229-e6a514ca0c21 10.0.6.25:[31184] TASK_RUNNING alive ready",
        ], NGINX_CHECK_15),
      ],
      problems: 0,
    },
  },
  {
    name: "two apps of a blue/green deployment, sorted by id",
    fixture: "marathon-lb/zdd_apps.json",
    run: async () => normaliseAppList(await load("marathon-lb/zdd_apps.json"), NOW),
    expected: {
      apps: [
        app("/nginx-blue", [10001], ["nginx-blue.3a58a46a-c937-11e5-9836-026ee08d9f6f 10.0.1.147:[25724] TASK_RUNNING alive ready"], ["HTTP / #0"]),
        app("/nginx-green", [10000], [
          "nginx-green.0dbabba6-c931-11e5-9836-026ee08d9f6f 10.0.6.25:[31184] TASK_RUNNING alive ready",
          "nginx-green.1883a887-c931-11e5-9836-026ee08d9f6f 10.0.6.25:[16916] TASK_RUNNING alive ready",
          "nginx-green.23532518-c931-11e5-9836-026ee08d9f6f 10.0.6.25:[23336] TASK_RUNNING alive ready",
        ], ["HTTP / #0"]),
      ],
      problems: 0,
    },
  },
];

function groupApps(group: any): any[] {
  return [...(group.apps ?? []), ...(group.groups ?? []).flatMap(groupApps)];
}

describe("normalising every Marathon fixture", () => {
  test.each(cases)("$name ($fixture)", async ({ run, expected }) => {
    expect(summarise(await run())).toEqual(expected);
  });

  test("every JSON fixture has a case", () => {
    const all = ["marathon/api", "marathon/apps", "marathon-lb"].flatMap((dir) =>
      readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith(".json")).map((f) => `${dir}/${f}`),
    );
    expect(all.filter((f) => !cases.some((c) => c.fixture === f))).toEqual([]);
  });

  test("env keeps strings and drops secret references", async () => {
    const { apps } = await definition("marathon/api/app.json");
    expect(apps[0]?.env).toEqual({ XPS1: "Test", XPS2: "Rest" });
    expect(apps[0]?.labels).toEqual({ note: "Away from olympus", owner: "zeus" });
    expect(apps[0]?.instances).toBe(2);
  });
});
