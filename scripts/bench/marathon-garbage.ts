/**
 * Issue 14 item 4: bamboo's memory while Marathon serves garbage, and how large Marathon's
 * app list gets, to size MARATHON_MAX_RESPONSE_SIZE.
 *
 *   node_modules/.bin/bun scripts/bench/marathon-garbage.ts [--apps 100] [--garbage-mb 50] [--rounds 3] [--size-apps 1000]
 *
 * 1. Garbage: dist/bamboo on its defaults (MARATHON_MAX_RESPONSE_SIZE 256MiB; only the resync
 *    interval shortened to 2 s) against the simulator with 100 apps, through a stand-in that
 *    can swap answers. Steady RSS once routed; then for each kind of garbage every app request
 *    is answered with 50 MB of it until bamboo has made `rounds` full fetches (its retries come
 *    within a second or two), and the peak RSS (VmHWM, restarted before each kind) is set
 *    against the steady one. Target: peak < 2x steady.
 * 2. Size: the simulator's full app list (tasks, deployments and readiness embedded) for 1,000
 *    apps with 3 health-checked tasks, env and labels each, extrapolated to 20,000 apps, also
 *    with the app fields real Marathon adds that the simulator leaves out (from the fixture
 *    test/fixtures/marathon/api/app.json); and reading a 20,000-app answer made of 20 copies
 *    of the 1,000 through bamboo's bounded reader (check, then parse) against JSON.parse alone.
 * Prints the figures; exits 0 whatever they are.
 */
import { join } from "node:path";
import { readJsonBody } from "../../src/marathon/answer-body.ts";
import { APPS_PATH } from "../../src/marathon/client.ts";
import { HostileMarathon, streamedBody, wholeBody, type BodyMaker } from "../../test/support/marathon-hostile.ts";
import { MarathonSim, type DeploySpec, type SimNetworking } from "../../test/support/marathon-sim.ts";
import { memoryMiB, resetPeakRss } from "../../test/support/process-memory.ts";
import { arg, fmt, machineLine, printTable, startBamboo, until, verdict, waitReady, type BenchBamboo } from "./support.ts";

const MB = 1000 * 1000;
const MiB = 1024 * 1024;
const TARGET_APPS = 20_000;
const DEFAULT_LIMIT = 256 * MiB;

interface SyncStatus {
  readonly marathon: { readonly sync: { readonly lastError: string | null } };
}

const syncError = async (b: BenchBamboo) => ((await (await fetch(`${b.api}/api/status`, { headers: b.auth })).json()) as SyncStatus).marathon.sync.lastError;

interface GarbageFigures {
  readonly kind: string;
  readonly fetches: number;
  readonly seconds: number;
  readonly peakMiB: number;
  readonly error: string;
}

/** The garbage, each 50 MB; the buffers are made once, outside the timed part. */
function garbageKinds(bytes: number): { kind: string; body: BodyMaker }[] {
  const brackets = wholeBody("", 0x5b, bytes);
  const random = wholeBody("", "random", bytes);
  const openString = wholeBody('{"apps":["', 0x61, bytes);
  return [
    { kind: "[ repeated (Content-Length)", body: () => brackets },
    { kind: "random bytes (Content-Length)", body: () => random },
    { kind: '{"apps":[" + never-closed string (Content-Length)', body: () => openString },
    { kind: '{"apps":[" + never-closed string (chunked)', body: () => streamedBody({ head: '{"apps":["', fill: 0x61, bytes }) },
  ];
}

async function garbage(apps: number, bytes: number, rounds: number): Promise<{ steadyMiB: number; rows: GarbageFigures[] }> {
  const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
  const front = HostileMarathon.start(sim);
  let bamboo: BenchBamboo | null = null;
  try {
    for (let i = 0; i < apps; i++) await sim.deployApp({ id: `/garbage/app${String(i).padStart(3, "0")}`, instances: 1 });
    // Full fetches every 2 s rather than every 60 s: the garbage is served for a few of them, not for minutes.
    bamboo = await startBamboo(front.url, { MARATHON_RESYNC_INTERVAL: "2s" });
    const b = bamboo;
    await waitReady(b, 60_000);
    const routed = await until(() => fetch(`${b.http}/garbage/app000`).then((r) => r.status === 200, () => false), 30_000, 100);
    if (!routed) throw new Error(`apps not routed; see ${b.logPath}`);
    // Steady: after a few full syncs, once the startup garbage is collected.
    await Bun.sleep(3_000);
    const steadyMiB = (await memoryMiB(b.pid)).rss;
    const rows: GarbageFigures[] = [];
    for (const { kind, body } of garbageKinds(bytes)) {
      console.log(`… ${kind}`);
      await resetPeakRss(b.pid);
      const before = front.appRequests;
      const started = performance.now();
      front.serveApps(body);
      await until(async () => front.appRequests >= before + rounds && (await syncError(b)) !== null, 120_000, 50);
      const seconds = (performance.now() - started) / 1000;
      const error = (await syncError(b)) ?? "";
      rows.push({ kind, fetches: front.appRequests - before, seconds, peakMiB: (await memoryMiB(b.pid)).peak, error });
      front.serveApps(null);
      await until(async () => (await syncError(b)) === null, 120_000, 100);
    }
    return { steadyMiB, rows };
  } finally {
    await bamboo?.stop();
    front.stop();
    await sim.stop();
  }
}

const NETWORKING: readonly SimNetworking[] = ["host", "bridge", "container"];

/** An app as a production cluster has it: three health-checked tasks, a handful of env vars and labels. */
function realisticApp(i: number): DeploySpec {
  const id = `/team${i % 40}/service-${String(i).padStart(5, "0")}`;
  return {
    id,
    instances: 3,
    networking: NETWORKING[i % NETWORKING.length],
    healthChecks: [{ protocol: "HTTP", path: "/health", portIndex: 0 }],
    env: {
      SERVICE_NAME: id,
      ENVIRONMENT: "production",
      LOG_LEVEL: "info",
      JAVA_OPTS: "-Xms256m -Xmx512m -XX:+UseG1GC",
      DATABASE_URL: `postgres://db-${i % 7}.internal:5432/service_${i}`,
      FEATURE_FLAGS: "search,checkout-v2,recommendations",
      CONFIG_VERSION: "2024-11-29T13:35:00Z",
      REGION: "eu-west-1",
    },
    labels: { HAPROXY_GROUP: "external", HAPROXY_0_VHOST: `service-${i}.example.com`, team: `team${i % 40}`, owner: "platform@example.com" },
  };
}

interface SizeFigures {
  readonly apps: number;
  readonly tasks: number;
  readonly bytes: number;
  /** Bytes of the fields a real Marathon app has (per the fixture) that the simulator does not render. */
  readonly realExtraPerApp: number;
  readonly big: { readonly apps: number; readonly bytes: number; readonly boundedMs: number; readonly parseMs: number };
}

async function answerSize(apps: number): Promise<SizeFigures> {
  const sim = await MarathonSim.start({ heartbeatMs: 10_000 });
  try {
    for (let i = 0; i < apps; i++) await sim.deployApp(realisticApp(i));
    const text = await (await fetch(`${sim.url}${APPS_PATH}`)).text();
    const bytes = Buffer.byteLength(text);
    const list = JSON.parse(text) as { apps: Record<string, unknown>[] };
    const tasks = list.apps.reduce((n, app) => n + (Array.isArray(app.tasks) ? app.tasks.length : 0), 0);
    const fixture = (await Bun.file(join(import.meta.dir, "../../test/fixtures/marathon/api/app.json")).json()) as Record<string, unknown>;
    const rendered = new Set(list.apps.flatMap((app) => Object.keys(app)));
    const realExtraPerApp = JSON.stringify(Object.fromEntries(Object.entries(fixture).filter(([key]) => !rendered.has(key)))).length;
    const copies = Math.ceil(TARGET_APPS / apps);
    const inner = text.slice(text.indexOf("[") + 1, text.lastIndexOf("]"));
    const bigText = `{"apps":[${Array.from({ length: copies }, () => inner).join(",")}]}`;
    const big = { apps: apps * copies, bytes: Buffer.byteLength(bigText), ...(await readCosts(bigText)) };
    return { apps, tasks, bytes, realExtraPerApp, big };
  } finally {
    await sim.stop();
  }
}

/** The same answer read as bamboo reads it (streamed in 64 KiB chunks, checked, then parsed), and parsed alone; best of three. */
async function readCosts(text: string): Promise<{ boundedMs: number; parseMs: number }> {
  const bytes = new TextEncoder().encode(text);
  let boundedMs = Infinity;
  let parseMs = Infinity;
  for (let run = 0; run < 3; run++) {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.slice(at, at + 64 * 1024));
        controller.close();
      },
    });
    let started = performance.now();
    const read = await readJsonBody(new Response(chunks), DEFAULT_LIMIT);
    if (read.kind !== "json") throw new Error(`the answer was refused: ${JSON.stringify(read)}`);
    boundedMs = Math.min(boundedMs, performance.now() - started);
    started = performance.now();
    JSON.parse(new TextDecoder().decode(bytes));
    parseMs = Math.min(parseMs, performance.now() - started);
  }
  return { boundedMs, parseMs };
}

async function main(): Promise<void> {
  const apps = Number(arg("--apps", "100"));
  const garbageBytes = Number(arg("--garbage-mb", "50")) * MB;
  const rounds = Number(arg("--rounds", "3"));
  const sizeApps = Number(arg("--size-apps", "1000"));
  console.log(`marathon-garbage benchmark · ${await machineLine()}`);

  const { steadyMiB, rows } = await garbage(apps, garbageBytes, rounds);
  printTable(
    `bamboo (${apps} apps, MARATHON_MAX_RESPONSE_SIZE 256MiB) while every app request gets ${fmt(garbageBytes / MB, 0)} MB of garbage; steady RSS ${fmt(steadyMiB, 0)} MiB`,
    ["garbage", "full fetches", "for", "peak RSS", "peak / steady", "target < 2x", "error reported"],
    rows.map((r) => [r.kind, String(r.fetches), `${fmt(r.seconds)} s`, `${fmt(r.peakMiB, 0)} MiB`, `${fmt(r.peakMiB / steadyMiB, 2)}x`, verdict(r.peakMiB < 2 * steadyMiB), shorten(r.error)]),
  );

  console.log(`… ${sizeApps} realistic apps in the simulator`);
  const size = await answerSize(sizeApps);
  const perApp = size.bytes / size.apps;
  const perAppReal = perApp + size.realExtraPerApp;
  printTable(
    `GET ${APPS_PATH}`,
    ["answer", "apps", "tasks", "bytes per app", `at ${TARGET_APPS.toLocaleString("en")} apps`, "share of 256MiB"],
    [
      ["simulator, measured", String(size.apps), String(size.tasks), fmt(perApp, 0), `${fmt((perApp * TARGET_APPS) / MiB, 0)} MiB`, `${fmt((100 * perApp * TARGET_APPS) / DEFAULT_LIMIT, 0)} %`],
      ["+ real Marathon's app fields", String(size.apps), String(size.tasks), fmt(perAppReal, 0), `${fmt((perAppReal * TARGET_APPS) / MiB, 0)} MiB`, `${fmt((100 * perAppReal * TARGET_APPS) / DEFAULT_LIMIT, 0)} %`],
    ],
  );
  printTable(
    `Reading a ${size.big.apps.toLocaleString("en")}-app answer (${fmt(size.big.bytes / MiB, 0)} MiB, 20 copies of the simulator's)`,
    ["bounded reader (check + parse)", "JSON.parse alone", "checker's share"],
    [[`${fmt(size.big.boundedMs, 0)} ms`, `${fmt(size.big.parseMs, 0)} ms`, `${fmt((100 * (size.big.boundedMs - size.big.parseMs)) / size.big.boundedMs, 0)} %`]],
  );
}

function shorten(text: string): string {
  const at = text.indexOf("not JSON");
  const from = at >= 0 ? at : Math.max(0, text.indexOf(": ") + 2);
  return text.slice(from, from + 90);
}

await main();
process.exit(0);
