import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import {
  APPS_FORMAT,
  boundedProblems,
  bucketOf,
  BUCKETS,
  decodeBucket,
  decodeManifest,
  encodeBucket,
  encodeManifest,
  MAX_MANIFEST_PROBLEMS,
  MAX_PART_BYTES,
  type Manifest,
} from "../../src/cluster/published-apps.ts";
import { app, httpHealthCheck, servicePorts, task } from "../routing/builders.ts";

const APPS = [
  app({ id: "/shop", labels: { HAPROXY_0_VHOST: "shop.example" }, env: { A: "1" }, ports: servicePorts(10000, 10001), healthChecks: [httpHealthCheck()], tasks: [task({ id: "shop.1", appId: "/shop", startedAt: null })] }),
  app({ id: "/empty", ports: [], tasks: [] }),
];

const MANIFEST: Manifest = {
  format: APPS_FORMAT,
  version: 7,
  leader: "http://10.0.0.1:8000",
  leaderSince: "2026-11-30T00:00:00.000Z",
  publishedAt: "2026-11-30T00:00:01.000Z",
  apps: 2,
  buckets: { "3": ["b3-00000000000000ff-0"] },
  problems: [{ id: "/bad", message: "no id" }],
  marathon: { connected: true, lastError: null, lastSyncAt: "2026-11-30T00:00:01.000Z" },
};

describe("buckets", () => {
  test("an app's bucket is fixed by its id and within range", () => {
    for (const id of ["/a", "/shop/web", "/x".repeat(100)]) {
      expect(bucketOf(id)).toBe(bucketOf(id));
      expect(bucketOf(id)).toBeGreaterThanOrEqual(0);
      expect(bucketOf(id)).toBeLessThan(BUCKETS);
    }
  });

  test("apps come back as they went, and the same apps give the same key", () => {
    const encoded = encodeBucket(APPS);
    expect(decodeBucket(encoded.parts)).toMatchObject({ ok: true, value: { apps: APPS } });
    expect(encodeBucket(structuredClone(APPS)).key).toBe(encoded.key);
    expect(encodeBucket([APPS[0]!]).key).not.toBe(encoded.key);
  });

  test("a bucket larger than a node may be is cut into parts that join again", () => {
    // Random env values do not compress: the gzip alone is well over one part.
    const random = () => Buffer.from(crypto.getRandomValues(new Uint8Array(96))).toString("base64");
    const big = Array.from({ length: 40 }, (_, i) => app({ id: `/big/${i}`, env: Object.fromEntries(Array.from({ length: 400 }, (_, j) => [`K${j}`, random()])) }));
    const { parts } = encodeBucket(big);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(MAX_PART_BYTES);
    expect(decodeBucket(parts)).toMatchObject({ ok: true, value: { apps: big } });
  });

  test.each([
    ["bytes that are no gzip", [Buffer.from("plain")], "not a gzipped bucket"],
    ["gzipped text that is no JSON", [gzipSync("{")], "not JSON"],
    ["JSON that is no list", [gzipSync("{}")], "not a list of apps"],
    ["an app without an id", [gzipSync(JSON.stringify([{ ...APPS[1], id: 5 }]))], "app 0: id: expected a string"],
    ["an id without its slash", [gzipSync(JSON.stringify([{ ...APPS[1], id: "shop" }]))], "app 0: id: expected an app id with a leading '/'"],
    ["a task with a port that is no number", [gzipSync(JSON.stringify([{ ...APPS[0], tasks: [{ ...APPS[0]!.tasks[0], ports: ["x"] }] }]))], "app 0: tasks[0]: ports: expected a list of numbers"],
    ["an env value that is no string", [gzipSync(JSON.stringify([{ ...APPS[1], env: { A: 1 } }]))], "app 0: env: expected an object of strings"],
    ["a health check without its protocol", [gzipSync(JSON.stringify([{ ...APPS[0], healthChecks: [{}] }]))], "app 0: healthChecks[0]: protocol: expected a string"],
  ])("refuses %s, saying what is wrong", (_name, parts, message) => {
    const decoded = decodeBucket(parts as Uint8Array[]);
    expect(decoded.ok).toBe(false);
    expect(decoded.ok ? "" : decoded.message).toContain(message);
  });

  test("a gzip bomb stops at the bound instead of filling memory", () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024, 32));
    const decoded = decodeBucket([bomb]);
    expect(decoded.ok).toBe(false);
  });
});

describe("manifests", () => {
  test("come back as they went", () => {
    expect(decodeManifest(encodeManifest(MANIFEST))).toEqual({ ok: true, value: MANIFEST });
  });

  test.each([
    ["another format", { ...MANIFEST, format: "bamboo-apps/2" }, 'format "bamboo-apps/2" is not bamboo-apps/1'],
    ["a version that is no count", { ...MANIFEST, version: -1 }, "version: expected a whole number from 0"],
    ["a bucket with no nodes", { ...MANIFEST, buckets: { "3": [] } }, "buckets: bucket 3 should name 1 to 64 nodes"],
    ["a bucket named by no number", { ...MANIFEST, buckets: { x: ["n"] } }, "buckets: 'x' is no bucket from 0 to 255"],
    ["a bucket past the last", { ...MANIFEST, buckets: { "256": ["b256-00000000000000ff-0"] } }, "buckets: '256' is no bucket"],
    ["a node that is no part of its bucket", { ...MANIFEST, buckets: { "3": ["../../secret"] } }, "buckets: bucket 3 names '../../secret', which is none of its nodes"],
    ["another bucket's node", { ...MANIFEST, buckets: { "3": ["b4-00000000000000ff-0"] } }, "which is none of its nodes"],
    ["more nodes than a bucket may have", { ...MANIFEST, buckets: { "3": Array.from({ length: 65 }, (_, i) => `b3-00000000000000ff-${i}`) } }, "should name 1 to 64 nodes"],
    ["problems without messages", { ...MANIFEST, problems: [{ id: "/a" }] }, "problems: expected a list of {id, message}"],
    ["no word on Marathon", { ...MANIFEST, marathon: null }, "marathon: expected {connected, lastError, lastSyncAt}"],
  ])("refuse %s, saying what is wrong", (_name, manifest, message) => {
    const decoded = decodeManifest(Buffer.from(JSON.stringify(manifest)));
    expect(decoded).toEqual({ ok: false, message: expect.stringContaining(message) });
  });

  test("refuse what is no JSON", () => {
    expect(decodeManifest(Buffer.from("{")).ok).toBe(false);
  });

  test("carry at most a bounded number of Marathon's problems, and count the rest", () => {
    const many = Array.from({ length: MAX_MANIFEST_PROBLEMS + 5 }, (_, i) => ({ id: `/a${i}`, message: "x".repeat(1000) }));
    const kept = boundedProblems(many);
    expect(kept).toHaveLength(MAX_MANIFEST_PROBLEMS + 1);
    expect(kept[0]!.message.length).toBe(500);
    expect(kept.at(-1)).toEqual({ id: "", message: "5 more of Marathon's entries left out (not published)" });
  });
});
