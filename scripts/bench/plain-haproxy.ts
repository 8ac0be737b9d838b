/**
 * The reference for "failed requests per reload": a standalone HAProxy in master-worker mode
 * with a static config routing the same apps to the same task servers as bamboo's HAProxy,
 * reloaded through its master CLI, as a Bamboo or marathon-lb style setup would be.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseShowProc } from "../../src/haproxy/master-cli.ts";
import { sendOverUnixSocket } from "../../src/haproxy/unix-socket.ts";
import { freePort } from "../../test/support/appliance.ts";
import { until } from "./support.ts";

export interface StaticBackend {
  /** Path prefix routed to this backend, e.g. /churn/app001 */
  readonly path: string;
  readonly servers: readonly { readonly host: string; readonly port: number }[];
}

export interface PlainOptions {
  /** Adds `option idle-close-on-response`, the 2.6 setting bamboo's template uses. */
  readonly idleCloseOnResponse: boolean;
  /** Same bound on old workers as bamboo's default. */
  readonly hardStopAfter: string;
  /** `close-spread-time` as bamboo's template sets it (5s), to tell its effect apart. */
  readonly closeSpreadTime?: string;
}

export interface PlainHAProxy {
  readonly base: string;
  /** Reloads through the master CLI and waits until the master counted it; false on timeout. */
  reload(): Promise<boolean>;
  stop(): Promise<void>;
}

function staticConfig(bind: string, backends: readonly StaticBackend[], options: PlainOptions): string {
  const lines = [
    "global",
    "    maxconn 4096",
    `    hard-stop-after ${options.hardStopAfter}`,
    ...(options.closeSpreadTime ? [`    close-spread-time ${options.closeSpreadTime}`] : []),
    "defaults",
    "    mode http",
    "    option dontlognull",
    "    option redispatch",
    "    retries 3",
    ...(options.idleCloseOnResponse ? ["    option idle-close-on-response"] : []),
    "    timeout connect 5s",
    "    timeout client 50s",
    "    timeout server 50s",
    "frontend http-in",
    `    bind ${bind}`,
  ];
  backends.forEach((b, i) => lines.push(`    acl app${i} path_beg -i ${b.path}`, `    use_backend app${i} if app${i}`));
  backends.forEach((b, i) => {
    lines.push(`backend app${i}`, "    balance leastconn");
    b.servers.forEach((s, j) => lines.push(`    server s${j} ${s.host}:${s.port}`));
  });
  return `${lines.join("\n")}\n`;
}

export async function startPlainHAProxy(backends: readonly StaticBackend[], options: PlainOptions): Promise<PlainHAProxy> {
  const dir = await mkdtemp(join(tmpdir(), "bench-plain-"));
  const port = await freePort();
  const cfg = join(dir, "static.cfg");
  const master = join(dir, "master.sock");
  await writeFile(cfg, staticConfig(`127.0.0.1:${port}`, backends, options));
  const proc = Bun.spawn(["haproxy", "-W", "-db", "-S", `${master},level,admin`, "-f", cfg], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const showProc = async () => parseShowProc(await sendOverUnixSocket(master, "show proc", { timeoutMs: 2_000 }));
  const base = `http://127.0.0.1:${port}`;
  const up = await until(() => fetch(`${base}${backends[0]?.path ?? "/"}`).then((r) => r.status === 200, () => false), 10_000, 50);
  if (!up) throw new Error("plain HAProxy did not start serving");
  return {
    base,
    async reload() {
      const before = (await showProc()).master.reloads;
      // 2.6 answers a `reload` with nothing and closes: the outcome is read from `show proc`.
      await sendOverUnixSocket(master, "reload", { timeoutMs: 5_000 }).catch(() => "");
      return until(async () => (await showProc().catch(() => null))?.master.reloads === before + 1, 10_000);
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
