/**
 * Issue 14, bounded input: a Marathon that answers oversized, endless or garbage answers, or an
 * event line that never ends. Each is refused with an error naming the setting that bounds it;
 * the last known apps keep routing through the real HAProxy, and bamboo's memory stays bounded.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, spread, startAppliance, type RunningAppliance } from "../support/appliance.ts";
import { HostileMarathon, streamedBody, type BodyMaker } from "../support/marathon-hostile.ts";
import { MarathonSim } from "../support/marathon-sim.ts";
import { memoryMiB, resetPeakRss } from "../support/process-memory.ts";

const MiB = 1024 * 1024;
/** Each case waits on bamboo's retry backoff, beyond bun's 5 s default per test. */
const CASE_TIMEOUT_MS = 90_000;

interface Status {
  readonly marathon: { readonly lastError: string | null; readonly reconnects: number; readonly sync: { readonly lastError: string | null } };
}

describe("the appliance when Marathon's answers are hostile", () => {
  let sim: MarathonSim;
  let front: HostileMarathon;
  let bamboo: RunningAppliance;
  let steadyMiB = 0;

  beforeAll(async () => {
    sim = await MarathonSim.start({ heartbeatMs: 200 });
    await sim.deployApp({ id: "/web", instances: 2 });
    front = HostileMarathon.start(sim);
    bamboo = await startAppliance({
      marathonUrl: front.url,
      env: {
        MARATHON_RESYNC_INTERVAL: "1s",
        MARATHON_REQUEST_TIMEOUT: "2s",
        MARATHON_MAX_RESPONSE_SIZE: "1MiB",
        MARATHON_MAX_EVENT_SIZE: "256KiB",
      },
    });
    await bamboo.waitReady();
    await eventually("routed", routesLive, 10_000);
    steadyMiB = (await memoryMiB(bamboo.process.pid)).rss;
  }, CASE_TIMEOUT_MS);

  afterAll(async () => {
    await bamboo?.stop();
    front?.stop();
    await sim?.stop();
  });

  const live = () => sim.tasks("/web").map((t) => t.id).sort();
  const routesLive = async () => JSON.stringify([...(await spread(`${bamboo.http}/web`, 8)).keys()].sort()) === JSON.stringify(live());
  const status = async () => (await (await fetch(`${bamboo.api}/api/status`, { headers: bamboo.reader })).json()) as Status;
  const watcher = async () => (await status()).marathon;

  /**
   * Serves `body` for every app request until the reconciler reports `expected` and has been
   * refused `rounds` times; then the routes must still work, the peak RSS must stay under
   * twice the steady RSS, and a normal answer must heal the sync.
   */
  async function refusedAnswer(body: BodyMaker, expected: readonly string[], rounds = 3): Promise<void> {
    await resetPeakRss(bamboo.process.pid);
    front.serveApps(body);
    const before = front.appRequests;
    await eventually(`the refusal reported (${expected[0]})`, async () => {
      const error = (await status()).marathon.sync.lastError ?? "";
      return expected.every((text) => error.includes(text)) && front.appRequests >= before + rounds;
    }, 20_000);
    expect(await routesLive()).toBe(true);
    expect((await memoryMiB(bamboo.process.pid)).peak).toBeLessThan(2 * steadyMiB);
    front.serveApps(null);
    await eventually("the sync healed", async () => (await status()).marathon.sync.lastError === null, 40_000);
    expect(await routesLive()).toBe(true);
  }

  test("(a) an answer larger than MARATHON_MAX_RESPONSE_SIZE", async () => {
    const oversized = () => streamedBody({ head: '{"apps":[],"padding":"', fill: 0x61, bytes: 3 * MiB });
    await refusedAnswer(oversized, ["larger than MARATHON_MAX_RESPONSE_SIZE allows (1MiB)", "stopped reading after 1MiB", "raise MARATHON_MAX_RESPONSE_SIZE"]);
  }, CASE_TIMEOUT_MS);

  test("(b) an answer that never ends: at full speed it meets the size limit", async () => {
    const endless = () => streamedBody({ head: '{"apps":[', fill: 0x20, bytes: null });
    await refusedAnswer(endless, ["larger than MARATHON_MAX_RESPONSE_SIZE allows (1MiB)", "stopped reading after 1MiB"]);
  }, CASE_TIMEOUT_MS);

  test("(b) an answer that never ends: trickling, it meets the request timeout", async () => {
    // 64 KiB every 250 ms stays under the 1 MiB limit for the 2 s timeout.
    const trickle = () => streamedBody({ head: '{"apps":[', fill: 0x20, bytes: null, everyMs: 250 });
    await refusedAnswer(trickle, ["timed out after 2000 ms", "MARATHON_REQUEST_TIMEOUT"], 2);
  }, CASE_TIMEOUT_MS);

  test("(c) megabytes of [ are refused at the first byte", async () => {
    const brackets = () => streamedBody({ head: "", fill: 0x5b, bytes: 4 * MiB });
    await refusedAnswer(brackets, ["Marathon's answer is not JSON: unexpected '[' at byte 0"]);
  }, CASE_TIMEOUT_MS);

  test("(c) random bytes are refused", async () => {
    const random = () => streamedBody({ head: "", fill: "random", bytes: 4 * MiB });
    await refusedAnswer(random, ["Marathon's answer is not JSON: unexpected"]);
  }, CASE_TIMEOUT_MS);

  test("(d) an event line that never ends drops the stream, which is reopened with a full resync", async () => {
    await resetPeakRss(bamboo.process.pid);
    const reconnectsBefore = (await watcher()).reconnects;
    front.serveEvents(() => streamedBody({ head: "event: status_update_event\r\ndata: {", fill: 0x78, bytes: null }));
    await eventually("the refused event reported", async () => ((await watcher()).lastError ?? "").includes("larger than 256KiB (MARATHON_MAX_EVENT_SIZE)"), 20_000);
    expect((await watcher()).lastError ?? "").toContain("Raise MARATHON_MAX_EVENT_SIZE");
    await eventually("the stream reopened after a refusal", async () => (await watcher()).reconnects >= reconnectsBefore + 2, 20_000);
    expect(await routesLive()).toBe(true);
    expect((await memoryMiB(bamboo.process.pid)).peak).toBeLessThan(2 * steadyMiB);
    front.serveEvents(null);
  }, CASE_TIMEOUT_MS);
});
