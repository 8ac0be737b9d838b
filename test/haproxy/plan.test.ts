import { describe, expect, test } from "bun:test";
import { commandText, plan } from "../../src/haproxy/plan.ts";
import { serverStateFor } from "../../src/haproxy/server-state.ts";
import { sameStructure, slotConfig, type SlottedConfig } from "../../src/haproxy/slots.ts";

/** A rendered config as a template would produce it: one backend per app with its servers. */
function rendered(apps: Record<string, string[]>, extra = ""): string {
  const lines = ["global", "    maxconn 100", "frontend f", "    bind :80"];
  for (const name of Object.keys(apps)) {
    lines.push(`    use_backend ${name} if { path_beg /${name} }`);
  }
  lines.push(extra);
  for (const [name, servers] of Object.entries(apps)) {
    lines.push(`backend ${name}`, "    balance leastconn");
    for (const address of servers) lines.push(`    server ${name}-${address} ${address} check inter 5s`);
  }
  return lines.join("\n");
}


describe("slotConfig", () => {
  test("a backend's servers become slots; free ones are parked and disabled", () => {
    const slotted = slotConfig(rendered({ a: ["10.0.0.1:31001", "10.0.0.2:31002"] }), null);
    expect(slotted.text).toContain("    server slot1 10.0.0.1:31001 check inter 5s\n    server slot2 10.0.0.2:31002 check inter 5s\n    server slot3 127.0.0.1:1 check inter 5s disabled");
    // No app's `instances` known: sized by its servers, twice as many (slots.test.ts has the policy).
    expect(slotted.layout.get("backend a")!.slots).toHaveLength(4);
  });

  test("a task keeps its slot when others come and go", () => {
    const first = slotConfig(rendered({ a: ["10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3"] }), null);
    const second = slotConfig(rendered({ a: ["10.0.0.3:3", "10.0.0.4:4"] }), first);
    expect(second.layout.get("backend a")!.slots.slice(0, 3)).toEqual([{ host: "10.0.0.4", port: 4 }, null, { host: "10.0.0.3", port: 3 }]);
  });

  test("servers that differ in options are kept verbatim", () => {
    const text = ["backend b", "    server x 10.0.0.1:80 weight 1", "    server y 10.0.0.2:80 weight 2"].join("\n");
    const slotted = slotConfig(text, null);
    expect(slotted.layout.size).toBe(0);
    expect(slotted.text).toContain("server y 10.0.0.2:80 weight 2");
  });

  test("a backend scaled to zero keeps its parked slots", () => {
    const first = slotConfig(rendered({ a: ["10.0.0.1:1"] }), null);
    const second = slotConfig(rendered({ a: [] }), first);
    expect(sameStructure(first, second)).toBe(true);
    expect(second.text).toContain("server slot1 127.0.0.1:1 check inter 5s disabled");
  });
});

describe("plan", () => {
  const apply = (previous: SlottedConfig | null, apps: Record<string, string[]>, extra = "") => slotConfig(rendered(apps, extra), previous);

  test("the first config is a reload", () => {
    expect(plan(null, apply(null, { a: ["10.0.0.1:1"] }))).toEqual({ kind: "reload", reasons: ["first config"] });
  });

  test("the same config needs nothing", () => {
    const running = apply(null, { a: ["10.0.0.1:1"] });
    expect(plan(running, apply(running, { a: ["10.0.0.1:1"] }))).toEqual({ kind: "none" });
  });

  test("a scale-up within the slots fills a slot at run time", () => {
    const running = apply(null, { a: ["10.0.0.1:1", "10.0.0.3:3"] });
    const next = plan(running, apply(running, { a: ["10.0.0.1:1", "10.0.0.3:3", "10.0.0.2:2"] }));
    expect(next.kind).toBe("runtime");
    if (next.kind === "runtime") {
      expect(next.commands.map(commandText)).toEqual(["set server a/slot3 addr 10.0.0.2 port 2", "set server a/slot3 state ready"]);
    }
  });

  test("a scale-down parks the slot in maintenance", () => {
    const running = apply(null, { a: ["10.0.0.1:1", "10.0.0.2:2"] });
    const next = plan(running, apply(running, { a: ["10.0.0.2:2"] }));
    expect(next.kind === "runtime" && next.commands.map(commandText)).toEqual(["set server a/slot1 state maint"]);
  });

  test("a TCP backend's connections to a task that goes are closed with its slot; other slots' are kept", () => {
    const tcp = (apps: Record<string, string[]>, previous: SlottedConfig | null) => slotConfig(rendered(apps).replaceAll("    balance leastconn", "    mode tcp\n    balance leastconn"), previous);
    const running = tcp({ a: ["10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3"] }, null);
    const scaledDown = plan(running, tcp({ a: ["10.0.0.2:2", "10.0.0.3:3"] }, running));
    expect(scaledDown.kind === "runtime" && scaledDown.commands.map(commandText)).toEqual(["set server a/slot1 state maint", "shutdown sessions server a/slot1"]);
    const replaced = plan(running, tcp({ a: ["10.0.0.9:9", "10.0.0.2:2", "10.0.0.3:3"] }, running));
    expect(replaced.kind === "runtime" && replaced.commands.map(commandText)).toEqual([
      "set server a/slot1 state maint",
      "shutdown sessions server a/slot1",
      "set server a/slot1 addr 10.0.0.9 port 9",
      "set server a/slot1 state ready",
    ]);
  });

  test("a replaced task is swapped in its slot", () => {
    const running = apply(null, { a: ["10.0.0.1:1"] });
    const next = plan(running, apply(running, { a: ["10.0.0.9:9"] }));
    expect(next.kind === "runtime" && next.commands.map(commandText)).toEqual([
      "set server a/slot1 state maint",
      "set server a/slot1 addr 10.0.0.9 port 9",
      "set server a/slot1 state ready",
    ]);
  });

  test("a new app reloads, naming the new backend", () => {
    const running = apply(null, { a: ["10.0.0.1:1"] });
    const next = plan(running, apply(running, { a: ["10.0.0.1:1"], b: ["10.0.0.2:2"] }));
    expect(next).toEqual({ kind: "reload", reasons: ["frontend f changed", "backend b added"] });
  });

  test("a rule change reloads", () => {
    const running = apply(null, { a: ["10.0.0.1:1"] });
    const next = plan(running, apply(running, { a: ["10.0.0.1:1"] }, "    acl x hdr(host) -i x"));
    expect(next).toEqual({ kind: "reload", reasons: ["frontend f changed"] });
  });

  test("outgrowing the slots reloads once, then scale-ups fit the new headroom", () => {
    const servers = (count: number) => Array.from({ length: count }, (_, i) => `10.0.0.${i + 1}:80`);
    const running = apply(null, { a: servers(4) });
    const grown = apply(running, { a: servers(9) });
    expect(plan(running, grown)).toEqual({ kind: "reload", reasons: ["backend a: 9 servers outgrew 8 slots, now 18"] });
    const again = apply(grown, { a: servers(18) });
    expect(plan(grown, again).kind).toBe("runtime");
  });

  test("a config not made from the running one is compared backend by backend", () => {
    const running = apply(null, { a: ["10.0.0.1:1"], b: ["10.0.0.2:2"] });
    expect(plan(running, apply(null, { a: ["10.0.0.1:1"], b: ["10.0.0.2:2"] }))).toEqual({ kind: "none" });
    expect(plan(running, apply(null, { a: ["10.0.0.1:1"], b: ["10.0.0.3:3"] }))).toEqual({
      kind: "runtime",
      commands: [
        { kind: "set-state", backend: "b", server: "slot1", state: "maint" },
        { kind: "set-addr", backend: "b", server: "slot1", endpoint: { host: "10.0.0.3", port: 3 } },
        { kind: "set-state", backend: "b", server: "slot1", state: "ready" },
      ],
    });
  });

  test("a host name cannot be set at run time, so it reloads", () => {
    const running = apply(null, { a: ["10.0.0.1:1"] });
    const next = plan(running, apply(running, { a: ["10.0.0.1:1", "agent-2.example:2"] }));
    expect(next.kind).toBe("reload");
  });
});

describe("serverStateFor", () => {
  const dump = [
    "1",
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port",
    "3 a 1 slot1 10.0.0.1 2 0 1 1 8 1 0 2 0 0 0 0 - 1 - 0 0 - - 0",
    "3 a 2 slot2 10.0.0.2 0 0 1 1 8 1 0 2 0 0 0 0 - 2 - 0 0 - - 0",
    "3 a 3 slot3 127.0.0.1 0 5 1 1 8 1 0 2 0 0 0 0 - 1 - 0 0 - - 0",
    "",
  ].join("\n");

  test("keeps the state of slots that hold the same task and drops the rest", () => {
    const next = slotConfig(rendered({ a: ["10.0.0.1:1", "10.0.0.9:9"] }), null).layout;
    const kept = serverStateFor(dump, next).split("\n");
    expect(kept.slice(1).filter((line) => /^\d/.test(line))).toEqual(["3 a 1 slot1 10.0.0.1 2 0 1 1 8 1 0 2 0 0 0 0 - 1 - 0 0 - - 0"]);
    expect(kept[0]).toBe("1");
  });

  test("an unknown dump format yields an empty state file rather than a wrong one", () => {
    expect(serverStateFor("2\nwhatever", new Map())).toBe("");
  });
});
