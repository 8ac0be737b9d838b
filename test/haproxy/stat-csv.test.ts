import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseStatCsv, StatCsvError, StatRowReader, type StatRow } from "../../src/haproxy/stat-csv.ts";
import { TimeSlice } from "../../src/system/time-slice.ts";

const fixture = (name: string) => Bun.file(new URL(`../fixtures/${name}`, import.meta.url)).text();

describe("parseStatCsv", () => {
  test("reads HAProxy 2.6's answer: requests in HTTP mode, connections in TCP mode", async () => {
    // Captured from haproxy 2.6.12 after 3 requests to /api, 1 answered 500 by HAProxy, 1 TCP connection.
    const rows = await parseStatCsv(await fixture("haproxy/show-stat-2.6.csv"));
    const pick = (proxy: string, name: string) => rows.find((row) => row.proxy === proxy && row.name === name);
    expect(pick("http-in", "FRONTEND")).toEqual({ proxy: "http-in", name: "FRONTEND", kind: "frontend", requests: 4, errors: 1, responseMs: null, address: "", status: "OPEN" });
    expect(pick("::shop::api-cluster", "BACKEND")).toEqual({ proxy: "::shop::api-cluster", name: "BACKEND", kind: "backend", requests: 3, errors: 0, responseMs: 0, address: "", status: "UP" });
    expect(pick("::shop::api-cluster", "s0")).toMatchObject({ kind: "server", requests: 3, address: "127.0.0.1:18102" });
    expect(pick("::shop::api-cluster", "s1")).toMatchObject({ kind: "server", requests: 0, address: "127.0.0.1:18103", status: "MAINT" });
    expect(pick("::web-cluster", "BACKEND")).toMatchObject({ requests: 1, errors: 1 });
    expect(pick("::db-cluster-tcp", "BACKEND")).toMatchObject({ kind: "backend", requests: 1, errors: 0 });
    expect(rows).toHaveLength(8);
  });

  test("reads an older HAProxy's answer (marathon-lb's fixture: no mode or addr column, two dumps)", async () => {
    const rows = await parseStatCsv(await fixture("marathon-lb/haproxy_stats.csv"));
    const www = rows.find((row) => row.proxy === "www" && row.name === "BACKEND");
    // No req_tot for backends there: connections stand in, and 5xx are still counted.
    expect(www).toMatchObject({ kind: "backend", requests: 1345945, errors: 56023, responseMs: 16 });
    expect(rows.find((row) => row.proxy === "http-in" && row.name === "FRONTEND")).toMatchObject({ requests: 2178698, errors: 56028 });
  });

  test.each([
    ["an error reply", "Unknown command\n", /without its header/],
    ["an empty answer", "", /without its header/],
    ["a header without the needed columns", "# pxname,svname\nx,y\n", /no column stot, type/],
  ])("refuses %s", async (_name, text, message) => {
    await expect(parseStatCsv(text)).rejects.toThrow(StatCsvError);
    await expect(parseStatCsv(text)).rejects.toThrow(message);
  });

  test.each([
    ["a short line", "# pxname,svname,stot,type\na,b\n", 0],
    ["an unknown type", "# pxname,svname,stot,type\na,b,1,9\n", 0],
    ["no trailing newline", "# pxname,svname,stot,type\na,BACKEND,5,1", 1],
    ["a negative or garbled counter reads 0", "# pxname,svname,stot,type\na,BACKEND,-5,1\nb,BACKEND,x,1\n", 2],
  ])("skips or tolerates %s", async (_name, text, count) => {
    const rows = await parseStatCsv(text);
    expect(rows).toHaveLength(count);
    for (const row of rows) expect(row.requests).toBeGreaterThanOrEqual(0);
  });
});

test("a long answer gives way whenever its time slice is spent, and loses nothing", async () => {
  const lines = Array.from({ length: 1_000 }, (_, i) => `b${i},BACKEND,${i},1`);
  let pauses = 0;
  const rows = await parseStatCsv(`# pxname,svname,stot,type\n${lines.join("\n")}\n`, new TimeSlice(0, async () => void pauses++));
  expect(rows).toHaveLength(1_000);
  expect(rows[999]).toMatchObject({ proxy: "b999", requests: 999 });
  // One turn given per line read, the header's too.
  expect(pauses).toBe(1_001);
});

test("an answer read in the pieces it arrives in gives the rows it gives whole, wherever it is cut", async () => {
  const text = await fixture("haproxy/show-stat-2.6.csv");
  const whole = await parseStatCsv(text);
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 12 }), async (cuts) => {
      const rows: StatRow[] = [];
      const reader = new StatRowReader((row) => void rows.push(row));
      let from = 0;
      for (const cut of [...cuts.sort((a, b) => a - b), text.length]) {
        await reader.read(text.slice(from, cut));
        from = cut;
      }
      reader.end();
      expect(rows).toEqual(whole);
    }),
    { numRuns: 200, seed: 16 },
  );
});

test("an error reply is refused at its first line, before the rest arrives", () => {
  const reader = new StatRowReader(() => {});
  expect(() => reader.read("Unknown command. Please enter one of the following commands only :\n  help")).toThrow(StatCsvError);
});
