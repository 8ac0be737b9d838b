import { describe, expect, test } from "bun:test";
import { auditStoredRules, DEFAULT_POLICY, parsePolicy, validateRule, type AclPolicy } from "../../src/routing/acl/index.ts";

function policy(text: string): AclPolicy {
  const parsed = parsePolicy(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.policy;
}

const STORED = new Map([
  ["/blog", "hdr(host) -i ghost.local"],
  ["/api/users", "path_beg /api/users"],
  ["/site", "hdr(host) -i a.example.com"],
  ["/legacy", "hdr(host) -i old.local || path_beg /old"],
  ["/default", ""],
]);

function validate(acl: string, options: { id?: string; others?: ReadonlyMap<string, string>; policy?: string; allowOverlap?: boolean } = {}) {
  return validateRule({
    id: options.id ?? "/new",
    acl,
    others: options.others ?? STORED,
    policy: options.policy === undefined ? DEFAULT_POLICY : policy(options.policy),
    allowOverlap: options.allowOverlap ?? false,
  });
}

describe("validateRule accepts", () => {
  test.each([
    ["a new host", "hdr(host) -i ghost2.local", {}, "hdr(host) -i ghost2.local"],
    ["a rule written loosely, stored canonically", "req.hdr(Host)   -m str -i  new.local", {}, "hdr(host) -i new.local"],
    ["the same rule again from its owner", "hdr(host) -i ghost.local", { id: "/blog" }, "hdr(host) -i ghost.local"],
    ["an empty rule, which keeps Bamboo's default path rule", "", {}, ""],
    ["a regex when the policy allows regex", "path_reg ^/reports/[0-9]+$", { policy: "default,regex" }, "path_reg '^/reports/[0-9]+$'"],
    ["a path rule under a paths-only policy", "path_beg /shop", { policy: "path" }, "path_beg /shop"],
  ])("%s: %p", (_name, acl, options, canonical) => {
    const result = validate(acl, options);
    if (!result.ok) throw new Error(result.message);
    expect(result.canonical).toBe(canonical);
    expect(result.overlaps).toEqual([]);
  });

  test("an overlapping rule when overlaps are allowed, with the overlaps listed", () => {
    const result = validate("path_beg /api", { allowOverlap: true });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.overlaps.map((overlap) => [overlap.otherId, overlap.kind])).toEqual([["/api/users", "overlap"]]);
  });

  test("a host suffix over another team's host when overlaps are allowed", () => {
    const result = validate("hdr_end(host) -i .example.com", { allowOverlap: true });
    expect(result.ok && result.overlaps[0]?.detail).toContain("host suffix '.example.com' overlaps their host 'a.example.com'");
  });
});

describe("validateRule refuses", () => {
  test.each([
    ["the root path prefix (400)", "path_beg -i /", {}, 400, "would take other apps' traffic: pattern '/' matches every path"],
    ["an injected config line (400)", "hdr(host) -i ghost.local\n    stats enable", {}, 400, "control character 0x0a"],
    ["an unknown fetch (400)", "hdrx(host) a.local", {}, 400, "unknown fetch 'hdrx(host)' at position 1"],
    ["a file reference (400)", "path_beg -f /etc/passwd", {}, 400, "flag '-f'"],
    ["two criteria (400)", "hdr(host) -i a.local || path_beg /a", {}, 400, "would combine conditions"],
    ["a regex under the default policy (400)", "path_reg ^/reports/", {}, 400, "add 'regex' to the policy"],
    ["a host rule under a paths-only policy (400)", "hdr(host) -i new.local", { policy: "path" }, 400, "hdr(host) rules are not allowed by the ACL policy 'path': allowed are path, path_beg, path_end, path_dir"],
    ["a match-all regex even when regex is allowed (400)", "path_reg .*", { policy: "default,regex" }, 400, "matches every path"],
    ["a TLD-only host suffix (400)", "hdr_end(host) -i com", {}, 400, "top-level or shared suffix"],
  ])("%s: %p", (_name, acl, options, status, message) => {
    const result = validate(acl, options);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.status).toBe(status as 400 | 409);
      expect(result.message).toContain(message);
      expect(result.conflictsWith).toBeUndefined();
    }
  });

  test("a second team claiming ghost.local gets 409 naming the other service", () => {
    const result = validate("hdr(host) -i ghost.local");
    expect(result).toEqual({
      ok: false,
      status: 409,
      message: "already claimed by /blog (both claim host 'ghost.local'); choose another host or path, or ask the owner to change theirs",
      conflictsWith: ["/blog"],
    });
  });

  test("a same claim is refused even when overlaps are allowed", () => {
    const result = validate("hdr(host) -i GHOST.local", { allowOverlap: true });
    expect(!result.ok && result.status).toBe(409);
    expect(!result.ok && result.conflictsWith).toEqual(["/blog"]);
  });

  test("/api against a stored /api/users is a 409 overlap unless overlaps are allowed", () => {
    const result = validate("path_beg /api");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.status).toBe(409);
      expect(result.conflictsWith).toEqual(["/api/users"]);
      expect(result.message).toContain("overlaps /api/users (path prefix '/api' overlaps their path prefix '/api/users'");
      expect(result.message).toContain("allow overlaps");
    }
  });

  test("a host suffix over a.example.com is a 409 overlap by default", () => {
    const result = validate("hdr_end(host) -i .example.com");
    expect(!result.ok && result.conflictsWith).toEqual(["/site"]);
  });
});

describe("auditStoredRules", () => {
  test("stored rules that break today's checks are reported, not dropped", () => {
    const warnings = auditStoredRules(
      [
        { id: "/b", acl: "hdr(host) -i ghost.local" },
        { id: "/a", acl: "hdr(host) -i ghost.local" },
        { id: "/all", acl: "path_beg /" },
        { id: "/legacy", acl: "hdr(host) -i old.local || path_beg /old" },
        { id: "/re", acl: "path_reg ^/reports/" },
        { id: "/default", acl: "" },
      ],
      DEFAULT_POLICY,
    );
    expect(warnings.map((warning) => [warning.id, warning.kind, warning.otherId])).toEqual([
      ["/a", "same", "/b"],
      ["/all", "hijack", undefined],
      ["/all", "overlap", "/re"],
      ["/legacy", "unparseable", undefined],
      ["/re", "policy", undefined],
    ]);
    expect(warnings[0]!.message).toBe("claims the same as /b: both claim host 'ghost.local'");
  });

  test("clashes among many path prefixes and exact hosts are all found, however the rules are listed", () => {
    const services = [
      { id: "/p1", acl: "path_beg -i /API" },
      { id: "/p2", acl: "path_beg /api/users" },
      { id: "/p3", acl: "path_dir /apiv2" },
      { id: "/p4", acl: "path /shop" },
      { id: "/h1", acl: "hdr(host) -i A.example.com b.example.com" },
      { id: "/h2", acl: "hdr(host) -i a.example.com" },
      { id: "/h3", acl: "hdr_end(host) -i .example.com" },
    ];
    const pairs = (list: typeof services) => auditStoredRules(list, DEFAULT_POLICY).map((warning) => `${warning.id} ${warning.kind} ${warning.otherId}`);
    const expected = ["/h1 same /h2", "/h1 overlap /h3", "/h2 overlap /h3", "/p1 overlap /p2", "/p1 overlap /p3"];
    expect(pairs(services)).toEqual(expected);
    expect(pairs([...services].reverse())).toEqual(expected);
  });

  test("a clean set of rules gives no warnings", () => {
    expect(auditStoredRules([{ id: "/a", acl: "hdr(host) -i a.local" }, { id: "/b", acl: "path_beg /b" }], DEFAULT_POLICY)).toEqual([]);
  });
});

describe("validateRule and the default rules of apps without a stored rule", () => {
  const defaults = new Map([
    ["/web", "path_beg -i /web"],
    ["/blog", "path_beg -i /blog"],
  ]);
  const check = (id: string, acl: string, allowOverlap = false) => validateRule({ id, acl, others: STORED, defaults, policy: DEFAULT_POLICY, allowOverlap });

  test("claiming the path another app routes by its default rule is a conflict naming that app", () => {
    const result = check("/aaa", "path_beg -i /web");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.status).toBe(409);
      expect(result.conflictsWith).toEqual(["/web"]);
      expect(result.message).toContain("/web by its default rule");
    }
  });

  test("a path inside another app's default prefix overlaps it", () => {
    const result = check("/aaa", "path_beg -i /web/api");
    expect(result.ok).toBe(false);
    expect(check("/aaa", "path_beg -i /web/api", true).ok).toBe(true);
  });

  test("an app's own default rule, and a default replaced by a stored rule, do not count", () => {
    expect(check("/web", "path_beg -i /web").ok).toBe(true);
    // /blog has a stored host rule: its default path is free.
    expect(check("/aaa", "path_beg -i /blog").ok).toBe(true);
  });
});

describe("validateRule says why once", () => {
  test.each([
    ["path_beg -i /", "the rule would take other apps' traffic: pattern '/' matches every path we tried ('/', '/index.html', '/api/v1/users', ...)"],
    ["hdr(user-agent) -m found", "the rule would take other apps' traffic: '-m found' on the user-agent header matches nearly every request"],
  ])("%s", (acl, message) => {
    const result = validate(acl);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message.startsWith(message)).toBe(true);
      expect(result.message.match(/other apps' traffic/g)).toHaveLength(1);
    }
  });

  test("presence of a header only some clients send stays allowed", () => {
    expect(validate("hdr(x-canary) -m found").ok).toBe(true);
  });
});
