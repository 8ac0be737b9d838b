/**
 * Bounded keep-alive load with wrk: a Lua script spreads requests round-robin over a list of
 * paths, paces each connection (so the load leaves CPU for bamboo, HAProxy and the simulated
 * tasks on a 2-core machine) and reports its counters as JSON from `done()`, which wrk also
 * runs when stopped early with SIGINT. That lets a phase of unknown length own one wrk run.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LoadOptions {
  /** e.g. http://127.0.0.1:8080 */
  readonly base: string;
  readonly paths: readonly string[];
  readonly connections: number;
  readonly threads: number;
  /** Pause between responses on one connection: the load's rate bound. */
  readonly delayMs: number;
  /** Hard upper bound on the run; stop() usually ends it sooner. */
  readonly maxSeconds: number;
  /** Headers sent with every request, e.g. a Host for host-routed apps. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  readonly requests: number;
  readonly connectErrors: number;
  readonly readErrors: number;
  readonly writeErrors: number;
  readonly timeouts: number;
  /** Answers with a status of 400 or more (wrk's "errors.status"). */
  readonly badStatus: number;
  readonly seconds: number;
  /** Everything that is not a good answer. */
  readonly failed: number;
}

export interface RunningLoad {
  /** Ends the run (SIGINT: wrk stops and prints its summary) and returns the counters. */
  stop(): Promise<LoadResult>;
}

function luaScript(paths: readonly string[], delayMs: number, headers: Readonly<Record<string, string>>): string {
  const list = paths.map((p) => JSON.stringify(p)).join(",\n  ");
  const headerTable = Object.entries(headers).map(([name, value]) => `[${JSON.stringify(name)}] = ${JSON.stringify(value)}`).join(", ");
  return `
local paths = {
  ${list}
}
local i = 0
local threads = 0
function setup(thread)
  -- Threads start at different offsets so they do not hit the same app in lockstep.
  threads = threads + 1
  thread:set("offset", threads * 7)
end
function init(args)
  i = offset or 0
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ${headerTable} })
end
function delay()
  return ${delayMs}
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"micros":%d}\\n',
    summary.requests, e.connect, e.read, e.write, e.timeout, e.status, summary.duration))
end
`;
}

export async function startLoad(options: LoadOptions): Promise<RunningLoad> {
  const dir = await mkdtemp(join(tmpdir(), "bench-wrk-"));
  const script = join(dir, "spread.lua");
  await writeFile(script, luaScript(options.paths, options.delayMs, options.headers ?? {}));
  const proc = Bun.spawn(
    ["wrk", "-t", String(options.threads), "-c", String(options.connections), "-d", `${options.maxSeconds}s`, "--timeout", "5s", "-s", script, options.base],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const output = new Response(proc.stdout).text();
  return {
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGINT");
      const text = await output;
      await proc.exited;
      await rm(dir, { recursive: true, force: true });
      const match = /BENCH_JSON (\{.*\})/.exec(text);
      if (!match?.[1]) throw new Error(`wrk printed no summary:\n${text}\n${await new Response(proc.stderr).text()}`);
      const raw = JSON.parse(match[1]) as Record<string, number>;
      const n = (key: string) => raw[key] ?? 0;
      return {
        requests: n("requests"),
        connectErrors: n("connect"),
        readErrors: n("read"),
        writeErrors: n("write"),
        timeouts: n("timeout"),
        badStatus: n("status"),
        seconds: n("micros") / 1e6,
        failed: n("connect") + n("read") + n("write") + n("timeout") + n("status"),
      };
    },
  };
}
