/**
 * How long the web UI takes to show 1,000 apps in Chromium, from navigation start until every
 * app is counted and the first rows are on screen. Prints the median and worst of several
 * cold loads (fresh browser context each: no cache), and how long a filter keystroke takes.
 *
 *   node_modules/.bin/bun scripts/bench/ui-load.ts            # the UI with a synthetic 1,000-app API
 *   node_modules/.bin/bun scripts/bench/ui-load.ts --apps 10000   # 10,000 apps, two thirds with 15 minutes of traffic
 *   BAMBOO_VIEWER_PASSWORD=... node_modules/.bin/bun scripts/bench/ui-load.ts http://127.0.0.1:8000   # a running appliance
 *
 * A running appliance's reads need a user: the page starts signed in as BAMBOO_VIEWER_USER
 * (default viewer) with BAMBOO_VIEWER_PASSWORD, as after its first sign-in prompt.
 *
 * The synthetic API serves the real bundled UI (src/http/ui/serve.ts) and answers the
 * overview contract, so the figure is the page's own cost, not Marathon's or HAProxy's.
 */
import { chromium } from "playwright-core";
import type { Overview, OverviewApp, TrafficHistory, TrafficPoint, TrafficSample } from "../../src/http/ui/api-types.ts";
import { serveUi, uiAssetSizes } from "../../src/http/ui/serve.ts";

const appsFlag = process.argv.indexOf("--apps");
const APPS = appsFlag >= 0 ? Number(process.argv[appsFlag + 1]) : 1000;
const RUNS = 7;

function syntheticOverview(count: number): Overview {
  const apps: OverviewApp[] = [];
  for (let i = 0; i < count; i++) {
    const id = `/team-${String(i % 40).padStart(2, "0")}/service-${String(i).padStart(4, "0")}`;
    const instances = (i % 5) + 1;
    const healthy = i % 11 === 0 ? 0 : i % 7 === 0 ? instances - 1 : instances;
    const hasRule = i % 3 !== 0;
    const status = healthy === 0 ? "no-healthy-task" : !hasRule ? "no-rule" : healthy < instances ? "partial" : "healthy";
    apps.push({
      id,
      rule: hasRule ? { acl: `hdr(host) -i service-${i}.example.com`, source: "service" } : { acl: `path_beg -i ${id}`, source: "default" },
      instances,
      tasks: { total: instances, healthy, routed: healthy },
      servers: Array.from({ length: instances }, (_, k) => ({
        taskId: `${id.slice(1).replaceAll("/", "_")}.${k}`,
        address: `10.1.${i % 250}.${k + 1}:${31000 + k}`,
        marathon: { state: "TASK_RUNNING", alive: k < healthy, ready: true },
        haproxy: k < healthy ? ("UP" as const) : ("DOWN" as const),
      })),
      status,
      statusText: status,
    });
  }
  return { version: 1, eventId: "bench.1", generatedAt: new Date().toISOString(), apps, orphanServices: [], warnings: [], overlaps: [] };
}

/** Traffic as the appliance streams it: 15 minutes in 30 s buckets for two apps in three, then a sample a second. */
function syntheticTraffic(overview: Overview): { history: string; sample: () => string } {
  const busy = overview.apps.filter((_, i) => i % 3 !== 0).map((app) => app.id);
  const now = Date.now();
  const times = Array.from({ length: 30 }, (_, k) => now - (29 - k) * 30_000);
  const point = (i: number, k: number): TrafficPoint => [5 + ((i * 7 + k) % 40), (i + k) % 13 === 0 ? 1 : 0, 3 + (i % 20)];
  const apps = Object.fromEntries(busy.map((id, i) => [id, times.map((_, k) => point(i, k))]));
  const history: TrafficHistory = { intervalMs: 1000, windowMs: 900_000, bucketMs: 30_000, sampling: { state: "ok" }, times, totals: times.map(() => [busy.length * 20, 3, 12]), apps };
  let k = 0;
  return {
    history: JSON.stringify(history),
    sample: () => {
      k++;
      const sample: TrafficSample = { at: Date.now(), sampling: { state: "ok" }, totals: [busy.length * 20, 3, 12], apps: Object.fromEntries(busy.map((id, i) => [id, point(i, k)])) };
      return JSON.stringify(sample);
    },
  };
}

function startSyntheticApi(): { url: string; stop: () => void } {
  const overview = syntheticOverview(APPS);
  const body = JSON.stringify(overview);
  const traffic = syntheticTraffic(overview);
  const timers = new Set<ReturnType<typeof setInterval>>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/api/overview") return new Response(body, { headers: { "content-type": "application/json" } });
      if (path === "/api/events") {
        // One overview and the traffic so far, then a traffic sample a second, as the appliance's stream.
        const stream = new ReadableStream({
          start: (controller) => {
            controller.enqueue(`event: overview\ndata: ${body}\n\nevent: traffic-history\ndata: ${traffic.history}\n\n`);
            const timer = setInterval(() => {
              try {
                controller.enqueue(`event: traffic\ndata: ${traffic.sample()}\n\n`);
              } catch {
                clearInterval(timer);
                timers.delete(timer);
              }
            }, 1000);
            timers.add(timer);
            request.signal.addEventListener("abort", () => {
              clearInterval(timer);
              timers.delete(timer);
            });
          },
        });
        return new Response(stream, { headers: { "content-type": "text/event-stream" } });
      }
      if (path === "/api/status") return Response.json({ ready: true });
      if (path === "/blank") return new Response("<!doctype html><title>blank</title><p>blank</p>", { headers: { "content-type": "text/html" } });
      return serveUi(request);
    },
  });
  return {
    url: server.url.href.replace(/\/$/, ""),
    stop: () => {
      for (const timer of timers) clearInterval(timer);
      server.stop(true);
    },
  };
}

const args = process.argv.slice(2);
const target = args.find((arg, i) => !arg.startsWith("--") && args[i - 1] !== "--apps");
const viewer = target ? { user: process.env.BAMBOO_VIEWER_USER || "viewer", password: process.env.BAMBOO_VIEWER_PASSWORD ?? "" } : null;
if (viewer?.password === "") {
  console.error("ui-load: the appliance's reads need a user: set BAMBOO_VIEWER_PASSWORD (its data directory's viewer-password)");
  process.exit(2);
}
const api = target ? { url: target.replace(/\/$/, ""), stop: () => {} } : startSyntheticApi();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

const loads: number[] = [];
const blanks: number[] = [];
const phases: { html: number; script: number; received: number; parsed: number; rows: number }[] = [];
const filters: number[] = [];
let domNodes = 0;
let appCount = 0;
try {
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    if (viewer) await context.addInitScript(([key, value]) => sessionStorage.setItem(key, value), ["bamboo.api-credentials", JSON.stringify(viewer)] as const);
    const page = await context.newPage();
    if (!target) {
      // The same machine's floor: a blank page from the same server, to read the figure against.
      await page.goto(`${api.url}/blank`);
      blanks.push(await page.evaluate(() => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).loadEventEnd));
    }
    await page.goto(`${api.url}/`);
    // Loaded = the count line names every app and the first row is rendered; read the time
    // inside the page so the figure is navigation start → that frame.
    const handle = await page.waitForFunction(
      () => {
        const count = document.querySelector(".result-count")?.textContent ?? "";
        return /apps? shown of \d+/.test(count) && document.querySelector("tbody tr") !== null ? { at: performance.now(), count } : null;
      },
      undefined,
      { polling: "raf", timeout: 10_000 },
    );
    const { at, count } = (await handle.jsonValue()) as { at: number; count: string };
    loads.push(at);
    phases.push(
      await page.evaluate(() => {
        const mark = (name: string) => performance.getEntriesByName(name)[0]?.startTime ?? Number.NaN;
        const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
        const overview = performance.getEntriesByName(new URL("/api/overview", location.href).href)[0] as PerformanceResourceTiming | undefined;
        return { html: nav.responseEnd, script: mark("bamboo:script-start"), received: overview?.responseEnd ?? Number.NaN, parsed: mark("bamboo:overview-parsed"), rows: mark("bamboo:first-rows") };
      }),
    );
    appCount = Number(/of (\d+)/.exec(count)?.[1] ?? 0);
    domNodes = await page.evaluate(() => document.getElementsByTagName("*").length);

    const filter = page.getByLabel("Filter by id");
    await filter.focus();
    const typed = await page.evaluate(() => performance.now());
    await page.keyboard.type("7");
    const filtered = await page.waitForFunction(
      (total) => {
        const count = document.querySelector(".result-count")?.textContent ?? "";
        return /^\d+ apps? shown/.test(count) && !count.startsWith(`${total} `) ? performance.now() : null;
      },
      appCount,
      { polling: "raf" },
    );
    filters.push(((await filtered.jsonValue()) as number) - typed);
    await context.close();
  }
} finally {
  await browser.close();
  api.stop();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`apps: ${appCount}; bundle: ${(uiAssetSizes.js / 1024).toFixed(1)} KiB JS, ${(uiAssetSizes.css / 1024).toFixed(1)} KiB CSS; DOM elements after load: ${domNodes}`);
console.log(`load (navigation start → ${appCount} apps counted and first rows shown): median ${median(loads).toFixed(0)} ms, worst ${Math.max(...loads).toFixed(0)} ms over ${RUNS} cold loads`);
const phase = (key: keyof (typeof phases)[number]) => median(phases.map((p) => p[key])).toFixed(0);
console.log(`medians: page received ${phase("html")} ms, script running ${phase("script")} ms, overview arrived ${phase("received")} ms, parsed ${phase("parsed")} ms, rows in the DOM ${phase("rows")} ms (then layout and paint)`);
if (blanks.length > 0) console.log(`floor on this machine (a blank page from the same server, load event): median ${median(blanks).toFixed(0)} ms`);
console.log(`filter keystroke → list updated: median ${median(filters).toFixed(0)} ms`);
