import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, openSync, read, readFileSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogOutput } from "../../src/system/log-output.ts";
import { LogWriter } from "../../src/system/log-writer.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bamboo-log-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
/** A fresh regular file standing in for stderr, and its path. */
function fakeStderr(): { fd: number; path: string } {
  const path = join(dir, `stderr-${++counter}`);
  return { fd: openSync(path, "a+"), path };
}
const linesOf = (path: string) => readFileSync(path, "utf8").split("\n").filter((line) => line !== "");

/** A FIFO opened for reading and writing: a pipe whose other end nobody reads until the test does. */
function unreadPipe(): { fd: number; path: string } {
  const path = join(dir, `fifo-${++counter}`);
  const made = Bun.spawnSync(["mkfifo", path]);
  if (made.exitCode !== 0) throw new Error(`mkfifo failed: ${made.stderr.toString()}`);
  return { fd: openSync(path, "r+"), path };
}

function readSome(fd: number): Promise<string> {
  const buffer = Buffer.alloc(256 * 1024);
  return new Promise((resolve, reject) => read(fd, buffer, 0, buffer.length, null, (error, n) => (error ? reject(error) : resolve(buffer.toString("utf8", 0, n)))));
}

describe("format auto-detection", () => {
  test("a pipe is not a terminal: auto writes JSON lines", async () => {
    const pipe = unreadPipe();
    const output = await LogOutput.open({ level: "info", format: "auto", stderrFd: pipe.fd });
    expect(output.formats).toEqual({ stderr: "json" });
    output.log.info("through a pipe", { n: 1 });
    expect(JSON.parse((await readSome(pipe.fd)).trim())).toMatchObject({ level: "info", message: "through a pipe", n: 1 });
    await output.close();
    closeSync(pipe.fd);
  });

  test("a terminal gets text", async () => {
    // The master side of a new pseudo-terminal: a terminal, though nobody sits at it.
    const terminal = openSync("/dev/ptmx", "r+");
    const output = await LogOutput.open({ level: "info", format: "auto", stderrFd: terminal });
    expect(output.formats).toEqual({ stderr: "text" });
    await output.close();
    closeSync(terminal);
  });

  test("a log file is no terminal: auto writes JSON there, whatever stderr gets", async () => {
    const terminal = openSync("/dev/ptmx", "r+");
    const output = await LogOutput.open({ level: "info", format: "auto", stderrFd: terminal, file: join(dir, "auto.log") });
    expect(output.formats).toEqual({ stderr: "text", file: "json" });
    await output.close();
    closeSync(terminal);
  });

  test("a forced format applies to every destination", async () => {
    const stderr = fakeStderr();
    const file = join(dir, "forced.log");
    const output = await LogOutput.open({ level: "info", format: "text", stderrFd: stderr.fd, file });
    output.log.info("hello", { who: "ops team" });
    await output.close();
    for (const path of [stderr.path, file]) expect(linesOf(path)).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  hello who="ops team"$/)]);
    closeSync(stderr.fd);
  });
});

describe("the log file", () => {
  test("lines below the level reach neither destination; the others reach both, in order", async () => {
    const stderr = fakeStderr();
    const file = join(dir, "levels.log");
    const output = await LogOutput.open({ level: "warn", format: "json", stderrFd: stderr.fd, file });
    for (let i = 0; i < 100; i++) {
      output.log.debug("hidden", { i });
      output.log.info("hidden", { i });
      output.log.warn("shown", { i });
    }
    await output.close();
    for (const path of [stderr.path, file]) {
      const lines = linesOf(path).map((line) => JSON.parse(line));
      expect(lines.map((line) => line.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(new Set(lines.map((line) => line.message))).toEqual(new Set(["shown"]));
    }
    closeSync(stderr.fd);
  });

  test("reopen after a move: new lines go to a new file of the same name, the moved one keeps the old", async () => {
    const stderr = fakeStderr();
    const file = join(dir, "rotated.log");
    const output = await LogOutput.open({ level: "info", format: "json", stderrFd: stderr.fd, file });
    output.log.info("before the move");
    await rename(file, `${file}.1`);
    output.log.info("after the move, before the reopen");
    await output.reopen();
    output.log.info("after the reopen");
    await output.close();
    expect(linesOf(`${file}.1`).map((line) => JSON.parse(line).message)).toEqual(["before the move", "after the move, before the reopen"]);
    expect(linesOf(file).map((line) => JSON.parse(line).message)).toEqual(["reopened the log file", "after the reopen"]);
    closeSync(stderr.fd);
  });

  test("a reopen that fails is reported on stderr, and lines keep going to the file it had open", async () => {
    const stderr = fakeStderr();
    const logDir = join(dir, "gone");
    await Bun.write(join(logDir, "keep"), "");
    const output = await LogOutput.open({ level: "info", format: "json", stderrFd: stderr.fd, file: join(logDir, "bamboo.log") });
    output.log.info("before");
    // Its directory moved away: the name cannot be opened, the descriptor still writes.
    await rename(logDir, `${logDir}.moved`);
    await output.reopen();
    output.log.info("after");
    await output.close();
    const failure = linesOf(stderr.path).map((line) => JSON.parse(line)).find((line) => line.level === "error");
    expect(failure).toMatchObject({ message: "could not reopen the log file; writing on to the file it had open", path: join(logDir, "bamboo.log") });
    expect(failure.error).toContain("ENOENT");
    expect(linesOf(join(`${logDir}.moved`, "bamboo.log")).map((line) => JSON.parse(line).message)).toEqual(["before", expect.stringContaining("could not reopen"), "after"]);
    closeSync(stderr.fd);
  });

  test("a file that cannot be opened at start is an error naming it", async () => {
    await expect(LogOutput.open({ level: "info", format: "json", stderrFd: 2, file: join(dir, "no-such-dir", "x.log") })).rejects.toThrow(`cannot open ${join(dir, "no-such-dir", "x.log")} for appending`);
  });

  test("a full disk: stderr says so once, and every line still reaches stderr", async () => {
    const stderr = fakeStderr();
    // /dev/full answers every write with ENOSPC.
    const output = await LogOutput.open({ level: "info", format: "json", stderrFd: stderr.fd, file: "/dev/full" });
    for (let i = 0; i < 50; i++) {
      output.log.info("line", { i });
      await Bun.sleep(1);
    }
    await output.close();
    const lines = linesOf(stderr.path).map((line) => JSON.parse(line));
    const failures = lines.filter((line) => line.level === "error");
    expect(failures).toEqual([expect.objectContaining({ message: "could not write log lines; dropping them until writes succeed again", destination: "/dev/full", error: expect.stringContaining("ENOSPC") })]);
    expect(lines.filter((line) => line.message === "line")).toHaveLength(50);
  });
});

describe("a failing stderr", () => {
  test("is reported in the log file, which still gets every line", async () => {
    const file = join(dir, "stderr-full.log");
    const full = openSync("/dev/full", "a");
    const output = await LogOutput.open({ level: "info", format: "json", stderrFd: full, file });
    for (let i = 0; i < 20; i++) {
      output.log.info("line", { i });
      await Bun.sleep(1);
    }
    await output.close();
    closeSync(full);
    const lines = linesOf(file).map((line) => JSON.parse(line));
    expect(lines.filter((line) => line.level === "error")).toEqual([expect.objectContaining({ destination: "stderr", error: expect.stringContaining("ENOSPC") })]);
    expect(lines.filter((line) => line.message === "line")).toHaveLength(20);
  });
});

describe("the bounded writer", () => {
  test("lines lost to a failing destination are counted in the first line that gets through", async () => {
    const target = join(dir, "recovered.log");
    const failures: string[] = [];
    const writer = new LogWriter({ fd: openSync("/dev/full", "a"), onFailure: (error) => failures.push(error.message), droppedNotice: (count) => `dropped ${count}` });
    for (const line of ["a", "b", "c"]) {
      writer.write(line);
      await writer.drain(1_000);
    }
    closeSync(await writer.replaceFd(openSync(target, "a")));
    writer.write("d");
    await writer.drain(1_000);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain("ENOSPC");
    expect(linesOf(target)).toEqual(["dropped 3", "d"]);
  });

  test("a destination nobody reads never stalls the event loop; lines past the bound are dropped, then counted", async () => {
    const pipe = unreadPipe();
    const writer = new LogWriter({ fd: pipe.fd, maxQueuedBytes: 64 * 1024, onFailure: () => {}, droppedNotice: (count) => `dropped ${count}` });
    const line = "z".repeat(1_000);
    // Far more than the pipe (64 KiB) and the queue hold together.
    const started = performance.now();
    for (let i = 0; i < 1_000; i++) writer.write(line);
    await Bun.sleep(20);
    expect(performance.now() - started).toBeLessThan(500);
    // Now read: what waited gets through, and the notice says how many lines did not.
    let text = "";
    const deadline = performance.now() + 10_000;
    const accounted = () => text.split("\n").filter((l) => l === line).length + Number(/dropped (\d+)\n/.exec(text)?.[1] ?? 0);
    while (accounted() < 1_000 && performance.now() < deadline) text += await readSome(pipe.fd);
    expect(text).toMatch(/dropped \d+\n/);
    expect(accounted()).toBe(1_000);
    closeSync(pipe.fd);
  });
});
