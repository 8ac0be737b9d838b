import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parsePolicy, validateRule, type AclPolicy } from "../../src/routing/acl/index.ts";
import { checkHijack } from "../../src/routing/acl/hijack.ts";
import { matchesValue } from "../../src/routing/acl/match.ts";
import { subjectOf } from "../../src/routing/acl/model.ts";
import { parseAcl } from "../../src/routing/acl/parse.ts";
import { explainRequest } from "../../src/routing/request-test.ts";
import { toTemplateData } from "../../src/routing/template-data.ts";
import { makeService } from "../../src/store/types.ts";
import { app, task, TEMPLATE_SETTINGS } from "./builders.ts";

/**
 * Issue 17 item 3: a rule is judged by what it matches, not by how it is spelled. Rules are
 * generated, including match-all ones spelled many ways, and tried against generated requests.
 */

const ALL = (() => {
  const parsed = parsePolicy("all");
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.policy;
})();

const FIRST = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"];
const segmentArb = fc.string({ unit: fc.constantFrom(...FIRST), minLength: 1, maxLength: 8 });
const pathArb = fc.array(segmentArb, { minLength: 1, maxLength: 3 }).map((segments) => `/${segments.join("/")}`);
const hostArb = fc.tuple(segmentArb.map((label) => label.toLowerCase().replace(/[^a-z0-9]/g, "") || "h"), fc.constantFrom("example.com", "shop.io", "a.b.net")).map(([label, domain]) => `${label}.${domain}`);

function validate(acl: string, others: ReadonlyMap<string, string> = new Map(), policy: AclPolicy = ALL) {
  return validateRule({ id: "/candidate", acl, others, policy, allowOverlap: true });
}

/** What share of generated requests a rule matches, on its own subject. */
function share(acl: string, paths: readonly string[], hosts: readonly string[]): number {
  const parsed = parseAcl(acl);
  if (!parsed.ok) return 0;
  const subject = subjectOf(parsed.rule);
  const samples = subject === "path" ? paths : subject === "host" ? hosts : subject === "base" ? hosts.map((host, i) => `${host}${paths[i % paths.length]}`) : [];
  if (samples.length === 0) return 0;
  return samples.filter((sample) => matchesValue(parsed.rule, sample, { foldCase: subject === "host", hostDomains: subject === "host" })).length / samples.length;
}

/** Match-all rules, spelled in the ways people (and attackers) write them, plus noise patterns. */
const matchAllArb = fc.oneof(
  fc.constantFrom("path_beg /", "path_reg .*", "path_reg ^/", "path -m reg .", "hdr_reg(host) -i .", "base_reg .+", "hdr(host) -m found", "path -m found", "hdr(user-agent) -m found", "hdr(accept) -m found", "always_true", "src 0.0.0.0/0", "method GET"),
  // A prefix per first character: each narrow, together everything.
  fc.shuffledSubarray(FIRST, { minLength: 50 }).map((chars) => `path_beg ${chars.map((c) => `/${c}`).join(" ")}`),
  fc.shuffledSubarray(FIRST, { minLength: 50 }).map((chars) => `path_reg ${chars.map((c) => `^/${c === "." ? "\\." : c}`).join(" ")}`),
  // Networks that cover the address space between them.
  fc.integer({ min: 1, max: 4 }).map((bits) => `src ${Array.from({ length: 2 ** bits }, (_, i) => `${(i * 256) / 2 ** bits}.0.0.0/${bits}`).join(" ")}`),
  fc.constantFrom("src ::/1 8000::/1", "src 0.0.0.0/2 64.0.0.0/2 128.0.0.0/1"),
);

describe("rules that match (nearly) every request are refused whatever their spelling", () => {
  test("generated match-all rules", () => {
    fc.assert(
      fc.property(matchAllArb, (acl) => {
        const verdict = validate(acl);
        expect(verdict.ok).toBe(false);
        // Said once: the reason does not repeat the verdict.
        if (!verdict.ok) expect(verdict.message.match(/take other apps' traffic|take traffic/g)?.length ?? 1).toBe(1);
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  test("an accepted rule matches less than half of generated requests", () => {
    const ruleArb = fc.oneof(
      fc.array(pathArb, { minLength: 1, maxLength: 30 }).map((paths) => `path_beg ${paths.join(" ")}`),
      fc.shuffledSubarray(FIRST, { minLength: 1, maxLength: 66 }).map((chars) => `path_beg ${chars.map((c) => `/${c}`).join(" ")}`),
      fc.array(hostArb, { minLength: 1, maxLength: 10 }).map((hosts) => `hdr(host) -i ${hosts.join(" ")}`),
      fc.shuffledSubarray([..."abcdefghijklmnopqrstuvwxyz0123456789"], { minLength: 1 }).map((chars) => `hdr_beg(host) -i ${chars.map((c) => `${c}${c}`).join(" ")}`),
    );
    const [paths, hosts] = [fc.sample(pathArb, { numRuns: 400, seed: 1 }), fc.sample(hostArb, { numRuns: 400, seed: 2 })];
    fc.assert(
      fc.property(ruleArb, (acl) => {
        const verdict = validate(acl);
        // Sampling slack above the half the check refuses at.
        if (verdict.ok) expect(share(acl, paths, hosts)).toBeLessThan(0.6);
      }),
      { numRuns: 400, seed: 17 },
    );
  });
});

describe("a rule may carve a part out of another app's traffic, never take all of it", () => {
  const owner = fc.oneof(
    hostArb.map((host) => ["host", `hdr(host) -i ${host}`] as const),
    pathArb.map((path) => ["path", `path_beg -i ${path}`] as const),
  );
  const candidateFor = ([kind, acl]: readonly ["host" | "path", string]) => {
    const key = acl.split(" ").at(-1)!;
    return kind === "host"
      ? fc.constantFrom(`base_beg -i ${key}/`, `base_dir -i ${key}/`, `base_beg -i ${key}/api`, `base -i ${key}/`, `hdr_dom(host) -i ${key}`, `hdr(host) -i ${key}`)
      : fc.constantFrom(`path_beg -i ${key}`, `path_beg -i ${key.slice(0, -1) || "/z"}`, `path_dir -i ${key}`, `path_beg -i ${key}/more`, `path -i ${key}`, `base_beg -i any.example${key}`);
  };

  test("whatever the candidate, HAProxy's order still sends the owner some of its requests", () => {
    fc.assert(
      fc.property(owner.chain((o) => fc.tuple(fc.constant(o), candidateFor(o))), fc.boolean(), ([[kind, ownerAcl], candidateAcl], ownerAsDefault) => {
        const key = ownerAcl.split(" ").at(-1)!;
        // A path owner may route by its default rule, `path_beg -i <its id>`: then its id is the path.
        const byDefault = kind === "path" && ownerAsDefault;
        const ownerId = byDefault ? key : "/owner";
        const verdict = validateRule({
          id: "/candidate",
          acl: candidateAcl,
          others: byDefault ? new Map() : new Map([[ownerId, ownerAcl]]),
          defaults: byDefault ? new Map([[ownerId, ownerAcl]]) : new Map(),
          policy: ALL,
          allowOverlap: true,
        });
        if (!verdict.ok) return;
        // Accepted: route the owner's own requests through the frontend's order. A path rule is written for every host.
        const requests = kind === "host" ? ["/", "/a", "/x/y"].map((path) => ({ host: key, path })) : [key, `${key}x`, `${key}/y`].flatMap((path) => ["any.example", "other.example"].map((host) => ({ host, path })));
        const apps = [app({ id: ownerId, tasks: [task({ id: "o" })] }), app({ id: "/candidate", tasks: [task({ id: "c" })] })];
        const services = [makeService("/candidate", verdict.canonical), ...(byDefault ? [] : [makeService(ownerId, ownerAcl)])];
        const data = toTemplateData(apps, services, TEMPLATE_SETTINGS);
        const reached = requests.filter((request) => explainRequest(data, { ...request, query: new URLSearchParams(), headers: new Map(), method: "GET" }).matched?.appId === ownerId);
        expect(reached.length).toBeGreaterThan(0);
      }),
      { numRuns: 400, seed: 17 },
    );
  });

  test.each([
    ["every path of a host another app owns", "base_beg -i shop.example/", "/shop"],
    ["the same, by directory", "base_dir -i shop.example/", "/shop"],
  ])("refused: %s", (_name, acl, owner) => {
    const verdict = validate(acl, new Map([["/shop", "hdr(host) -i shop.example"]]));
    expect(verdict).toMatchObject({ ok: false, status: 409, conflictsWith: [owner] });
    if (!verdict.ok) expect(verdict.message).toContain("would take every request of /shop, e.g. 'shop.example/'");
  });

  test("a part of another app's host is an overlap, accepted when overlaps are", () => {
    expect(validate("base_beg -i shop.example/cart", new Map([["/shop", "hdr(host) -i shop.example"]])).ok).toBe(true);
  });
});

test.each([
  ["two halves of IPv4", "src 0.0.0.0/1 128.0.0.0/1"],
  ["two /8 networks", "src 10.0.0.0/8 11.0.0.0/8"],
  ["two halves of IPv6", "src ::/1 8000::/1"],
])("refused: networks that together are too wide: %s", (_name, acl) => {
  const parsed = parseAcl(acl);
  expect(parsed.ok && checkHijack(parsed.rule).ok).toBe(false);
});

test("one /8 split in two stays accepted", () => {
  const parsed = parseAcl("src 10.0.0.0/9 10.128.0.0/9");
  expect(parsed.ok && checkHijack(parsed.rule)).toEqual({ ok: true });
});
