import { describe, expect, test } from "bun:test";
import { HAProxyError } from "../../src/haproxy/errors.ts";
import { currentWorker, parseShowProc } from "../../src/haproxy/master-cli.ts";

// Captured from HAProxy 2.6.12 while a request held the previous worker open after a reload.
const withOldWorker = `#<PID>          <type>          <reloads>       <uptime>        <version>      
32052           master          4 [failed: 0]   0d00h00m54s     2.6.12-1+deb12u4
# workers
1038            worker          0               0d00h00m01s     2.6.12-1+deb12u4
# old workers
945             worker          1               0d00h00m03s     2.6.12-1+deb12u4
# programs

`;

// Captured right after a reload of a broken config: the counter moved, failed is 1 and the
// old worker (now one reload old) still serves.
const afterFailedReload = `#<PID>          <type>          <reloads>       <uptime>        <version>      
32052           master          2 [failed: 1]   0d00h00m41s     2.6.12-1+deb12u4
# workers
347             worker          1               0d00h00m11s     2.6.12-1+deb12u4
# programs

`;

describe("show proc", () => {
  test("master, current and old workers are told apart", () => {
    const status = parseShowProc(withOldWorker);
    expect(status.master).toEqual({ pid: 32052, type: "master", reloads: 4, failedReloads: 0, uptime: "0d00h00m54s", version: "2.6.12-1+deb12u4" });
    expect(status.workers.map((worker) => worker.pid)).toEqual([1038]);
    expect(status.oldWorkers.map((worker) => worker.pid)).toEqual([945]);
    expect(currentWorker(status)?.pid).toBe(1038);
  });

  test("a failed reload shows in the master's failed counter", () => {
    const status = parseShowProc(afterFailedReload);
    expect(status.master).toMatchObject({ reloads: 2, failedReloads: 1 });
    expect(status.workers).toEqual([{ pid: 347, type: "worker", reloads: 1, uptime: "0d00h00m11s", version: "2.6.12-1+deb12u4" }]);
  });

  test("a reply without a master line is an error, not an empty table", () => {
    expect(() => parseShowProc("Unknown command.\n")).toThrow(HAProxyError);
  });
});
