import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { HAProxySupervisor, type SupervisorEvent, type SupervisorOptions } from "../../src/haproxy/supervisor.ts";
import { testConfig, type TestServer } from "./haproxy-config.ts";
import { freePort } from "./ports.ts";

/** The Debian package's binary; tests run the real HAProxy. */
export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? "/usr/sbin/haproxy";

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

/** True while `pid` is a live process (a zombie counts as gone). */
export async function processAlive(pid: number): Promise<boolean> {
  const stat = await Bun.file(`/proc/${pid}/stat`).text().catch(() => "");
  if (stat === "") return false;
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

/** GET through HAProxy on a fresh connection, so a reload never meets a pooled one. */
export async function get(port: number, path = "/"): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { keepalive: false, headers: { connection: "close" } });
  return { status: response.status, body: await response.text() };
}

/** A temp directory with sockets, backends answering their own name, and a supervisor. */
export interface HAProxyEnv {
  readonly dir: string;
  readonly configPath: string;
  readonly statsSocket: string;
  readonly masterSocket: string;
  readonly frontendPort: number;
  /** Backend name → port; each answers its name as the body. */
  readonly backends: ReadonlyMap<string, number>;
  readonly supervisor: HAProxySupervisor;
  readonly events: SupervisorEvent[];
  /** Writes the config for these servers (or the default: one enabled server per backend). */
  writeConfig(servers?: readonly TestServer[], backendExtra?: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Builds an {@link HAProxyEnv} with `backendNames` HTTP backends; HAProxy is not started. */
export async function haproxyEnv(
  backendNames: readonly string[] = ["alpha"],
  options: Partial<Pick<SupervisorOptions, "hardStopAfterMs" | "restartBackoffMs" | "startTimeoutMs" | "log">> = {},
): Promise<HAProxyEnv> {
  const dir = await mkdtemp(join(tmpdir(), "bamboo-hx-"));
  const servers: Server<undefined>[] = backendNames.map((name) =>
    Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(name) }),
  );
  const backends = new Map(backendNames.map((name, i) => [name, servers[i]!.port ?? 0]));
  const frontendPort = await freePort();
  const configPath = join(dir, "haproxy.cfg");
  const statsSocket = join(dir, "stats.sock");
  const masterSocket = join(dir, "master.sock");
  const events: SupervisorEvent[] = [];
  const supervisor = new HAProxySupervisor({
    bin: HAPROXY_BIN,
    configPath,
    masterSocketPath: masterSocket,
    pidFilePath: join(dir, "haproxy.pid"),
    hardStopAfterMs: options.hardStopAfterMs ?? 5_000,
    restartBackoffMs: options.restartBackoffMs ?? { initial: 50, max: 500 },
    startTimeoutMs: options.startTimeoutMs,
    log: options.log,
  });
  supervisor.onEvent((event) => events.push(event));
  const env: HAProxyEnv = {
    dir,
    configPath,
    statsSocket,
    masterSocket,
    frontendPort,
    backends,
    supervisor,
    events,
    async writeConfig(list, backendExtra) {
      const chosen = list ?? [...backends].map(([name, port]) => ({ name, port }));
      await writeFile(configPath, testConfig({ frontendPort, statsSocket, servers: chosen, backendExtra }));
    },
    async close() {
      await supervisor.stop();
      for (const server of servers) server.stop(true);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await env.writeConfig();
  return env;
}
