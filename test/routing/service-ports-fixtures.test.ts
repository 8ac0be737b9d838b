import { describe, expect, test } from "bun:test";
import { normaliseApps } from "../../src/marathon/normalise.ts";
import type { App } from "../../src/marathon/types.ts";
import { ignoredLabels } from "../../src/routing/lb-labels.ts";
import { portPlansOf } from "../../src/routing/service-ports.ts";

/**
 * marathon-lb's own test apps (test/fixtures/marathon-lb, from its repository): what each
 * port becomes, and which of their labels bamboo says it does not read.
 */
const FIXTURES = new URL("../fixtures/marathon-lb/", import.meta.url).pathname;

async function appsOf(file: string): Promise<App[]> {
  const body = (await Bun.file(`${FIXTURES}${file}`).json()) as { apps?: unknown[] };
  return [...normaliseApps(body.apps ?? [body], Date.now()).apps];
}

describe("marathon-lb's fixtures", () => {
  test.each([
    // A Docker app with an HTTP health check: its one service port, proxied as HTTP.
    ["1-nginx.json", "/nginx", [[10000, "http", "HTTP health check"]], ["HAPROXY_DEPLOYMENT_ALT_PORT", "HAPROXY_DEPLOYMENT_GROUP"]],
    // A blue/green deployment's new colour listens on the port HAPROXY_0_PORT names.
    [
      "zdd_app_blue.json",
      "/nginx-green",
      [[10000, "http", "HTTP health check"]],
      ["HAPROXY_APP_ID", "HAPROXY_DEPLOYMENT_ALT_PORT", "HAPROXY_DEPLOYMENT_COLOUR", "HAPROXY_DEPLOYMENT_GROUP", "HAPROXY_DEPLOYMENT_STARTED_AT", "HAPROXY_DEPLOYMENT_TARGET_INSTANCES"],
    ],
    // A vhost makes its port HTTP, whatever the port's name.
    ["marathon15_apps.json", "/pywebserver", [[10101, "http", "label HAPROXY_0_VHOST"]], []],
  ])("%s: %s", async (file, id, ports, ignored) => {
    const app = (await appsOf(file)).find((candidate) => candidate.id === id)!;
    const plans = portPlansOf(app, { off: false, addresses: [""] });
    expect(plans.ports.map((plan) => [plan.port, plan.mode, plan.modeFrom])).toEqual(ports as [number, string, string][]);
    expect(plans.problems).toEqual([]);
    expect(ignoredLabels(app.labels)).toEqual(ignored);
  });
});
