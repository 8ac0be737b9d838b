/**
 * A real, throw-away ZooKeeper server for tests: Debian's `zookeeper` package
 * run standalone on 127.0.0.1 with a free port and a temporary data directory.
 * It can be killed (SIGKILL), frozen (SIGSTOP, a peer that stops answering)
 * and restarted on the same port and data, so sessions survive a restart the
 * way they do in production.
 */

import type { Subprocess } from "bun";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";

/** Debian's jar names its dependencies in its manifest's Class-Path, so it alone is enough. */
export const ZOOKEEPER_CLASSPATH = "/usr/share/java/zookeeper.jar";
const MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
// Small tick: sessions can be as short as 2 ticks, so expiry tests stay fast.
const TICK_MS = 200;
const READY_TIMEOUT_MS = 30_000;

/** A running test server. */
export interface ZooKeeperServer {
  readonly port: number;
  /** `127.0.0.1:<port>`, what BAMBOO_ZK_HOST would hold. */
  readonly connectionString: string;
  readonly dataDir: string;
  /** The `java …` command line, for reports and debugging. */
  readonly command: readonly string[];
  /** SIGKILL: no goodbye to clients, as in a crash. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts again on the same port and data directory; resolves once it serves. */
  restart(): Promise<void>;
  /** SIGSTOP: the TCP connection stays open but nothing answers (a dead peer). */
  freeze(): void;
  /** SIGCONT after {@link freeze}. */
  thaw(): void;
  /** Kills the server and removes its files. */
  stop(): Promise<void>;
  /** Ids (`0x…`) of the sessions the server holds right now, from the `dump` command. */
  sessions(): Promise<string[]>;
}

const running = new Set<Subprocess>();
process.on("exit", () => {
  for (const proc of running) proc.kill("SIGKILL");
});

/** Starts a server and resolves once it answers `srvr` as a serving standalone instance. */
export async function startZooKeeper(): Promise<ZooKeeperServer> {
  const dir = await mkdtemp(join(tmpdir(), "bamboo-zk-"));
  const dataDir = join(dir, "data");
  const port = await freePort();
  const configPath = join(dir, "zoo.cfg");
  await writeFile(
    configPath,
    [
      `tickTime=${TICK_MS}`,
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      "admin.enableServer=false",
      "4lw.commands.whitelist=srvr,ruok,dump",
      "maxSessionTimeout=60000",
      "",
    ].join("\n"),
  );
  const command = [
    "java",
    // Start-up speed matters more than peak throughput for a test server.
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Xmx256m",
    "-Djava.net.preferIPv4Stack=true",
    "-cp",
    ZOOKEEPER_CLASSPATH,
    MAIN_CLASS,
    configPath,
  ];
  let proc: Subprocess | null = null;

  async function launch(): Promise<void> {
    const logFile = Bun.file(join(dir, "server.log"));
    proc = Bun.spawn(command, { stdout: logFile, stderr: logFile, stdin: "ignore" });
    running.add(proc);
    const started = proc;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await isServing(port))) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`ZooKeeper exited during start-up (${started.exitCode ?? started.signalCode}); see ${join(dir, "server.log")}`);
      }
      if (Date.now() > deadline) throw new Error(`ZooKeeper on port ${port} not serving after ${READY_TIMEOUT_MS} ms`);
      await Bun.sleep(50);
    }
  }

  async function kill(): Promise<void> {
    const current = proc;
    if (!current) return;
    proc = null;
    current.kill("SIGKILL");
    await current.exited;
    running.delete(current);
  }

  await launch();
  return {
    port,
    connectionString: `127.0.0.1:${port}`,
    dataDir,
    command,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    freeze() {
      proc?.kill("SIGSTOP");
    },
    thaw() {
      proc?.kill("SIGCONT");
    },
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
    async sessions() {
      const reply = await fourLetterWord(port, "dump");
      const tracker = reply.split("ephemeral nodes dump:")[0] ?? "";
      return [...tracker.matchAll(/^\s+(0x[0-9a-f]+)$/gm)].map((m) => m[1]!);
    },
  };
}

/** Asks the server `srvr`; only a standalone server that is serving requests counts. */
export async function isServing(port: number): Promise<boolean> {
  return (await fourLetterWord(port, "srvr")).includes("Mode: standalone");
}

/** Sends one of ZooKeeper's four-letter commands; resolves "" when nothing answers in time. */
export function fourLetterWord(port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise<string>((resolve) => {
    let reply = "";
    let settled = false;
    const finish = (text: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(text);
    };
    const timer = setTimeout(() => finish(""), timeoutMs);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(word);
        },
        data(_socket, chunk) {
          reply += chunk.toString();
        },
        close() {
          finish(reply);
        },
        error() {
          finish("");
        },
        connectError() {
          finish("");
        },
      },
    }).catch(() => finish(""));
  });
}

