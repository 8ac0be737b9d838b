import { describe, expect, test } from "bun:test";
import { parseCmdline, parseStatIdentity, readIdentity, signalIfSame, stillRunning } from "../../src/system/process-identity.ts";
import { waitFor } from "../support/haproxy-env.ts";

describe("parseCmdline", () => {
  const cases: [string, string, string[]][] = [
    ["NUL-separated and NUL-ended", "haproxy\0-W\0-S\0/d/m.sock,level,admin\0", ["haproxy", "-W", "-S", "/d/m.sock,level,admin"]],
    ["an argument with spaces stays whole", "sh\0-c\0echo a b\0", ["sh", "-c", "echo a b"]],
    ["an empty argument is kept", "x\0\0y\0", ["x", "", "y"]],
    ["a kernel thread has none", "", []],
  ];
  for (const [name, text, argv] of cases) test(name, () => expect(parseCmdline(text)).toEqual(argv));
});

describe("parseStatIdentity", () => {
  const tail = "0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 69146 1000 10";
  const cases: [string, string, { state: string; startTime: string } | null][] = [
    ["state and start time (field 22)", `42 (haproxy) S 1 42 42 ${tail}`, { state: "S", startTime: "69146" }],
    ["a command name with spaces and parentheses", `7 (a) b) (c) S 3 7 7 ${tail}`, { state: "S", startTime: "69146" }],
    ["a line cut short", "42 (haproxy) S 1 42", null],
    ["not a stat line", "garbage", null],
  ];
  for (const [name, text, expected] of cases) test(name, () => expect(parseStatIdentity(text)).toEqual(expected));
});

describe("identities of live processes", () => {
  test("a process is named by pid and start time until it ends; then it is neither running nor signalled", async () => {
    const sleeper = Bun.spawn(["sleep", "60"], { stdin: "ignore" });
    // Right after the spawn returns, the kernel may still be setting up the new command line.
    const identity = await waitFor(() => (readIdentity(sleeper.pid)?.argv.length ? readIdentity(sleeper.pid) : null), "sleep's command line");
    expect(identity.argv).toEqual(["sleep", "60"]);
    expect(stillRunning(identity)).toBe(true);
    // Another process on the same pid would have another start time.
    expect(stillRunning({ ...identity, startTime: "1" })).toBe(false);
    expect(signalIfSame({ ...identity, startTime: "1" }, "SIGKILL")).toBe(false);
    expect(signalIfSame(identity, "SIGKILL")).toBe(true);
    await sleeper.exited;
    expect(stillRunning(identity)).toBe(false);
    expect(readIdentity(sleeper.pid)).toBeNull();
  });
});
