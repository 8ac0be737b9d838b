/**
 * Starts the real dist/bamboo (built by scripts/test before the tests run) as a subprocess
 * on free loopback ports with its own data directory, for end-to-end tests.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitFor } from "./marathon-wait.ts";
import { freePort, freePorts } from "./ports.ts";

export const BAMBOO_BIN = new URL("../../dist/bamboo", import.meta.url).pathname;

export { freePort, freePorts };

/** The API (admin) password the tests' appliances use unless a test sets its own. */
export const TEST_API_PASSWORD = "e2e-secret";
/** The read-only viewer's password, likewise. */
export const TEST_VIEWER_PASSWORD = "e2e-viewer";
export const TEST_STATS_PASSWORD = "e2e-stats";

/** Basic auth for `user:password`, as a header object for fetch. */
export function basicAuth(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${btoa(`${user}:${password}`)}` };
}

export interface RunningAppliance {
  /** Headers for write calls: JSON content type and the API (admin) credentials. */
  readonly writer: Record<string, string>;
  /** Headers for reads: the viewer's credentials, as a dashboard or a script would use. */
  readonly reader: Record<string, string>;
  /** `http://127.0.0.1:<port>` of the API. */
  readonly api: string;
  /** `http://127.0.0.1:<port>` of HAProxy's HTTP frontend. */
  readonly http: string;
  /** HAProxy's HTTPS port on 127.0.0.1, served once a certificate exists. */
  readonly httpsPort: number;
  /**
   * The loopback address the apps' service ports listen on: one of its own per appliance, so
   * two appliances on one simulated Marathon (whose apps have the same service ports) never
   * compete for a port.
   */
  readonly serviceHost: string;
  readonly dataDir: string;
  /** The environment it runs with, for running a command with the same settings. */
  readonly env: Readonly<Record<string, string>>;
  readonly process: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the appliance logged so far. */
  logs(): string;
  /** Resolves once GET /status answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM, wait for exit, remove the data directory unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<number>;
}

export interface ApplianceOptions {
  readonly marathonUrl: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Reuse a data directory (restart scenarios). */
  readonly dataDir?: string;
  readonly args?: readonly string[];
  /** A command to run bamboo under, e.g. `unshare --pid --fork --mount-proc` to make it PID 1. */
  readonly wrapper?: readonly string[];
}

export async function startAppliance(options: ApplianceOptions): Promise<RunningAppliance> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "bamboo-e2e-")));
  const [apiPort, httpPort, httpsPort] = await freePorts(3);
  const serviceHost = `127.1.${apiPort! >> 8}.${apiPort! & 255}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    MARATHON_ENDPOINT: options.marathonUrl,
    BAMBOO_BIND: `127.0.0.1:${apiPort}`,
    // Where Marathon's callbacks reach this instance (callback mode).
    BAMBOO_ENDPOINT: `http://127.0.0.1:${apiPort}`,
    HAPROXY_HTTP_BIND: `127.0.0.1:${httpPort}`,
    // Bound only once a certificate exists.
    HAPROXY_HTTPS_BIND: `127.0.0.1:${httpsPort}`,
    HAPROXY_SERVICE_BIND: serviceHost,
    BAMBOO_DATA_DIR: dataDir,
    HAPROXY_RELOAD_INTERVAL: "100ms",
    HAPROXY_HARD_STOP_AFTER: "5s",
    BAMBOO_DRAIN_PERIOD: "0s",
    BAMBOO_API_PASSWORD: TEST_API_PASSWORD,
    BAMBOO_VIEWER_PASSWORD: TEST_VIEWER_PASSWORD,
    HAPROXY_STATS_PASSWORD: TEST_STATS_PASSWORD,
    ...options.env,
  };
  const proc = Bun.spawn([...(options.wrapper ?? []), BAMBOO_BIN, ...(options.args ?? [])], {
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) output += decoder.decode(chunk.value);
  };
  void collect(proc.stdout);
  void collect(proc.stderr);
  const api = `http://127.0.0.1:${apiPort}`;
  const password = options.env?.BAMBOO_API_PASSWORD ?? TEST_API_PASSWORD;
  return {
    writer: { "content-type": "application/json", ...basicAuth(options.env?.BAMBOO_API_USER ?? "admin", password) },
    reader: basicAuth(options.env?.BAMBOO_VIEWER_USER ?? "viewer", options.env?.BAMBOO_VIEWER_PASSWORD ?? TEST_VIEWER_PASSWORD),
    api,
    http: `http://127.0.0.1:${httpPort}`,
    httpsPort: httpsPort!,
    serviceHost,
    dataDir,
    env,
    process: proc,
    logs: () => output,
    async waitReady(timeoutMs = 15_000) {
      let ready = false;
      const deadline = performance.now() + timeoutMs;
      while (!ready && performance.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`bamboo exited with ${proc.exitCode}:\n${output}`);
        ready = await fetch(`${api}/status`).then((r) => r.status === 200, () => false);
        if (!ready) await Bun.sleep(20);
      }
      if (!ready) throw new Error(`bamboo not ready after ${timeoutMs} ms:\n${output}`);
    },
    async stop({ keepData = false } = {}) {
      proc.kill("SIGTERM");
      const code = await proc.exited;
      if (!keepData && options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Sends `count` requests and returns how many answers each body (task id) got. */
export async function spread(url: string, count: number, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const response = await fetch(url, { headers: { ...headers, connection: "close" } });
    const body = response.status === 200 ? await response.text() : `HTTP ${response.status}`;
    seen.set(body, (seen.get(body) ?? 0) + 1);
  }
  return seen;
}

/** Polls `probe` until it returns true; for waiting on routing changes without fixed sleeps. */
export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}

export { waitFor };
