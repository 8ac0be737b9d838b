import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UnixSocketListener } from "bun";
import { HAProxySupervisor, type ProcessExit, type SupervisedProcess, type SupervisorEvent } from "../../src/haproxy/supervisor.ts";
import { waitFor } from "../support/haproxy-env.ts";

/**
 * A stand-in for HAProxy: each spawn is a master that "runs" until crash() is called, and
 * a UNIX socket answers `show proc` for whichever master is current, as HAProxy's master
 * CLI does. No real process is started.
 */
class FakeHAProxy {
  readonly spawnedAt: number[] = [];
  private master: { pid: number; end: (exit: ProcessExit) => void } | null = null;
  private nextPid = 4_000_001;
  private readonly server: UnixSocketListener<undefined>;

  constructor(socketPath: string) {
    this.server = Bun.listen({
      unix: socketPath,
      socket: {
        data: (socket) => {
          const pid = this.master?.pid;
          socket.end(pid === undefined ? "" : `#<PID> <type> <reloads> <uptime> <version>\n${pid} master 0 [failed: 0] 0d00h00m01s 2.6.12\n# workers\n${pid + 1} worker 0 0d00h00m01s 2.6.12\n`);
        },
      },
    });
  }

  spawn = (): SupervisedProcess => {
    const pid = this.nextPid;
    this.nextPid += 2;
    let end!: (exit: ProcessExit) => void;
    const exited = new Promise<ProcessExit>((resolve) => (end = resolve));
    this.master = { pid, end };
    this.spawnedAt.push(performance.now());
    return { pid, exited, stdout: null, stderr: null, kill: (signal) => end({ code: null, signal }) };
  };

  /** Ends the current master as a crash would; returns when it happened. */
  crash(): number {
    const master = this.master;
    this.master = null;
    master?.end({ code: null, signal: "SIGSEGV" });
    return performance.now();
  }

  close(): void {
    this.server.stop(true);
  }
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function fakeSupervisor(restartBackoffMs: { initial: number; max: number }) {
  const dir = await mkdtemp(join(tmpdir(), "bamboo-restart-"));
  const fake = new FakeHAProxy(join(dir, "master.sock"));
  const events: SupervisorEvent[] = [];
  const supervisor = new HAProxySupervisor({
    bin: "haproxy",
    configPath: join(dir, "haproxy.cfg"),
    masterSocketPath: join(dir, "master.sock"),
    pidFilePath: join(dir, "haproxy.pid"),
    hardStopAfterMs: 100,
    restartBackoffMs,
    spawn: fake.spawn,
  });
  supervisor.onEvent((event) => events.push(event));
  cleanup = async () => {
    await supervisor.stop();
    fake.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { fake, supervisor, events };
}

const restarts = (events: SupervisorEvent[]) => events.filter((event) => event.type === "restarted").length;

describe("restarts after crashes", () => {
  test("the first restarts are immediate; a crash loop backs off, doubling up to the cap", async () => {
    const { fake, supervisor, events } = await fakeSupervisor({ initial: 200, max: 400 });
    await supervisor.start();
    const pauses: number[] = [];
    for (let crash = 1; crash <= 5; crash++) {
      const crashedAt = fake.crash();
      await waitFor(() => restarts(events) === crash, `restart ${crash}`);
      pauses.push(fake.spawnedAt.at(-1)! - crashedAt);
    }
    expect(pauses[0]).toBeLessThan(100);
    expect(pauses[1]).toBeLessThan(100);
    expect(pauses[2]).toBeGreaterThanOrEqual(190);
    expect(pauses[3]).toBeGreaterThanOrEqual(390);
    expect(pauses[4]).toBeGreaterThanOrEqual(390);
    expect(pauses[4]).toBeLessThan(700);
    expect(supervisor.state()).toMatchObject({ status: "running", restarts: 5 });
  });

  test("stop during the restart backoff ends supervision at once: nothing is restarted", async () => {
    const { fake, supervisor, events } = await fakeSupervisor({ initial: 60_000, max: 60_000 });
    await supervisor.start();
    for (let crash = 1; crash <= 2; crash++) {
      fake.crash();
      await waitFor(() => restarts(events) === crash, `restart ${crash}`);
    }
    fake.crash();
    await waitFor(() => events.filter((event) => event.type === "crashed").length === 3, "the third crash");
    const started = performance.now();
    await supervisor.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(supervisor.state().status).toBe("stopped");
    expect(fake.spawnedAt).toHaveLength(3);
  });
});
