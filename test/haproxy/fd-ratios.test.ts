import { describe, expect, test } from "bun:test";
import { poolFdRatios } from "../../src/haproxy/fd-ratios.ts";

describe("poolFdRatios", () => {
  test.each([
    ["no listener: HAProxy's defaults", 0, 4096, { low: 20, high: 25 }],
    ["a few listeners: next to the defaults", 10, 4096, { low: 21, high: 26 }],
    // 10,000 sockets are 55 % of 18,192 descriptors: the rest keeps 20 % and 25 % of its own.
    ["10,000 service ports", 10_000, 4096, { low: 64, high: 67 }],
    ["never above 99", 1_000_000, 16, { low: 99, high: 99 }],
  ])("%s", (_, sockets, maxConn, expected) => {
    expect(poolFdRatios(sockets, maxConn)).toEqual(expected);
  });
});
