import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApplyOutcome } from "../../src/haproxy/apply.ts";
import type { SlottedConfig } from "../../src/haproxy/slots.ts";
import { compileTemplate } from "../../src/haproxy/template.ts";
import { validateConfigText } from "../../src/haproxy/validate-text.ts";
import { RoutingPipeline } from "../../src/sync/pipeline.ts";
import { silentLogger } from "../../src/system/log.ts";
import { app, task, TEMPLATE_SETTINGS } from "../routing/builders.ts";
import { HAPROXY_BIN } from "../support/haproxy-env.ts";

const dir = await mkdtemp(join(tmpdir(), "bamboo-pipeline-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A backend per app whose balance algorithm the app chooses with its BALANCE label, as marathon-lb's users do. */
const BY_LABEL = `global
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend http-in
    bind 127.0.0.1:65530
{{#each Apps}}
backend {{EscapedId}}-cluster
    balance {{#if Labels.BALANCE}}{{Labels.BALANCE}}{{else}}roundrobin{{/if}}
{{#each Tasks}}
    server {{Id}} {{Host}}:{{Port}}
{{/each}}
{{/each}}
`;
/** The same, with an algorithm HAProxy does not know in every backend: the template's fault. */
const BROKEN_FOR_EVERY_APP = BY_LABEL.replace(/balance .*\n/, "balance nosuchalgo\n");

/**
 * A stand-in for the applier that asks the real `haproxy -c` about every config and
 * "applies" only valid ones, or fails every apply while `failing` is set.
 */
function validatingApplier() {
  const state = { applied: [] as string[], failing: null as string | null, running: null as SlottedConfig | null };
  return {
    state,
    running: () => state.running,
    apply: async (next: SlottedConfig): Promise<ApplyOutcome> => {
      if (state.failing !== null) throw new Error(state.failing);
      const config = next.text;
      const verdict = await validateConfigText(HAPROXY_BIN, config, dir);
      if (!verdict.ok) return { kind: "invalid", message: `HAProxy refuses the generated config: ${verdict.message}`, alerts: verdict.alerts, config };
      state.applied.push(config);
      state.running = next;
      return { kind: "reloaded", durationMs: 1 };
    },
  };
}

function pipelineWith(template: string) {
  const applier = validatingApplier();
  const pipeline = new RoutingPipeline({
    render: compileTemplate("test", template),
    settings: TEMPLATE_SETTINGS,
    aclChecker: { checkAll: async () => new Map() },
    resolver: { lookupAll: async () => new Map() },
    applier,
    log: silentLogger,
  });
  return { pipeline, applier };
}

const web = (id: string, labels: Record<string, string> = {}) => app({ id, labels, tasks: [task({ id: `${id.slice(1)}.1`, host: "127.0.0.1", ports: [9000] })] });

describe("RoutingPipeline", () => {
  test("an app whose own data makes the config invalid is left out and reported; the others route", async () => {
    const { pipeline, applier } = pipelineWith(BY_LABEL);
    const outcome = await pipeline.apply({ apps: [web("/a"), web("/b", { BALANCE: "nosuchalgo" }), web("/c")], services: [], certificates: [] }, ["test"]);
    expect(outcome.kind).toBe("reloaded");
    expect(pipeline.applied().data.Apps.map((a) => a.Id)).toEqual(["/a", "/c"]);
    expect(pipeline.applied().problems.map((p) => p.id)).toEqual(["/b"]);
    expect(pipeline.applied().problems[0]!.message).toContain("balance only supports");
    expect(pipeline.pending()).toBeNull();
    expect(applier.state.applied.at(-1)).not.toContain("::b-cluster");
  });

  test("when every app is blamed the template is at fault: nothing is dropped and the applied state stays", async () => {
    const { pipeline: good } = pipelineWith(BY_LABEL);
    await good.apply({ apps: [web("/a"), web("/b")], services: [], certificates: [] }, ["first"]);
    const { pipeline, applier } = pipelineWith(BROKEN_FOR_EVERY_APP);
    const outcome = await pipeline.apply({ apps: [web("/a"), web("/b")], services: [], certificates: [] }, ["test"]);
    expect(outcome.kind).toBe("invalid");
    expect(applier.state.applied).toHaveLength(0);
    expect(pipeline.applied().appliedAt).toBeNull();
    expect(pipeline.applied().problems).toEqual([]);
    expect(pipeline.pending()).toMatchObject({ refused: true, apps: 2 });
    expect(pipeline.pending()!.reason).toContain("balance only supports");
  });

  test("a single app is never blamed for a config that fails only with it: that would empty the routes", async () => {
    const { pipeline } = pipelineWith(BY_LABEL);
    const outcome = await pipeline.apply({ apps: [web("/b", { BALANCE: "nosuchalgo" })], services: [], certificates: [] }, ["test"]);
    expect(outcome.kind).toBe("invalid");
    expect(pipeline.pending()!.reason).toContain("balance only supports");
  });

  test("what is published is the last state applied; a refused change stays pending beside it", async () => {
    const { pipeline } = pipelineWith(BY_LABEL);
    await pipeline.apply({ apps: [web("/a")], services: [], certificates: [] }, ["first"]);
    const applied = pipeline.applied();
    // One app, broken by its own label: no one to blame, so it is refused as a whole.
    await pipeline.apply({ apps: [web("/a", { BALANCE: "nosuchalgo" })], services: [], certificates: [] }, ["second"]);
    expect(pipeline.applied()).toBe(applied);
    const since = pipeline.pending()!.sinceMs;
    await pipeline.apply({ apps: [web("/a", { BALANCE: "nosuchalgo" }), web("/z", { BALANCE: "nosuchalgo" })], services: [], certificates: [] }, ["third"]);
    // Still the first failure's time: the wanted config has not run since then.
    expect(pipeline.pending()!.sinceMs).toBe(since);
    await pipeline.apply({ apps: [web("/a"), web("/b")], services: [], certificates: [] }, ["fixed"]);
    expect(pipeline.pending()).toBeNull();
    expect(pipeline.applied().data.Apps.map((a) => a.Id)).toEqual(["/a", "/b"]);
  });

  test("an apply that fails (a full disk) rejects, keeps the applied state and marks the change pending for retry", async () => {
    const { pipeline, applier } = pipelineWith(BY_LABEL);
    await pipeline.apply({ apps: [web("/a")], services: [], certificates: [] }, ["first"]);
    applier.state.failing = "could not write /data/haproxy.cfg.candidate: ENOSPC: no space left on device";
    await expect(pipeline.apply({ apps: [web("/a"), web("/b")], services: [], certificates: [] }, ["new app"])).rejects.toThrow("ENOSPC");
    expect(pipeline.applied().data.Apps.map((a) => a.Id)).toEqual(["/a"]);
    expect(pipeline.pending()).toMatchObject({ refused: false, apps: 2 });
    expect(pipeline.pending()!.reason).toContain("ENOSPC");
    applier.state.failing = null;
    await pipeline.apply({ apps: [web("/a"), web("/b")], services: [], certificates: [] }, ["retry"]);
    expect(pipeline.pending()).toBeNull();
    expect(pipeline.applied().data.Apps).toHaveLength(2);
  });
});
