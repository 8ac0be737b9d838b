import { describe, expect, test } from "bun:test";
import { chunkCommands, isErrorReply, splitReplies } from "../../src/haproxy/runtime-api.ts";
import { adminStateOf } from "../../src/haproxy/runtime-parse.ts";
import { serverViewsFromState } from "../../src/haproxy/server-view.ts";
import { TimeSlice } from "../../src/system/time-slice.ts";

// Captured from HAProxy 2.6.12 (`show servers state`).
const serversState = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 be 1 s1 127.0.0.1 2 0 1 1 0 1 0 0 0 0 0 0 - 28081 - 0 0 - - 0
3 be 2 s2 127.0.0.2 2 4 1 1 1 1 0 0 8 0 0 0 - 28083 - 0 0 - - 0

`;

describe("show servers state", () => {
  test("reads as HAProxy's view per address: running is UP, a config-disabled flag alone is not maintenance", async () => {
    expect(await serverViewsFromState(serversState)).toEqual(new Map([["127.0.0.1:28081", "UP"], ["127.0.0.2:28083", "UP"]]));
  });

  test.each([
    [0, 0, "DOWN"],
    [1, 0, "UP"],
    [2, 0x01, "MAINT"],
    [2, 0x08, "DRAIN"],
    [3, 0, "NOLB"],
  ])("op state %i with admin flags %i is %s", async (op, admin, view) => {
    const dump = `1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_port\n3 be 1 s1 10.0.0.1 ${op} ${admin} 80\n`;
    expect((await serverViewsFromState(dump)).get("10.0.0.1:80") as string | undefined).toBe(view);
  });

  test("parked slots and unreadable dumps give no views", async () => {
    expect((await serverViewsFromState("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_port\n3 be 2 slot2 127.0.0.1 2 5 1\n")).size).toBe(0);
    expect((await serverViewsFromState("garbage")).size).toBe(0);
  });

  test("a long dump gives way whenever its time slice is spent, and loses nothing", async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `3 be ${i} s${i} 10.0.${i >> 8}.${i & 255} 2 0 ${1000 + (i % 7)}`);
    let pauses = 0;
    // A slice of no time at all: every line is followed by a pause.
    const slice = new TimeSlice(0, async () => {
      pauses++;
    });
    const views = await serverViewsFromState(`1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_port\n${lines.join("\n")}\n`, slice);
    expect(views.size).toBe(10_000);
    expect(pauses).toBe(10_000);
  });

  test("the admin bit field reads as ready, drain or maint", () => {
    expect(adminStateOf(0)).toBe("ready");
    expect(adminStateOf(0x08)).toBe("drain");
    // "disabled" in the config sets 0x04|0x01; `state ready` clears only 0x01.
    expect(adminStateOf(0x04 | 0x01)).toBe("maint");
    expect(adminStateOf(0x04)).toBe("ready");
    expect(adminStateOf(0x01 | 0x08)).toBe("maint");
  });
});

describe("replies", () => {
  test("HAProxy's refusals are errors and its informational answers are not", () => {
    expect(isErrorReply("No such server.\n\n")).toBe(true);
    expect(isErrorReply("No such backend.\n\n")).toBe(true);
    expect(isErrorReply("Invalid addr '999.1.1.1' by 'stats socket command'\n")).toBe(true);
    expect(isErrorReply("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n")).toBe(true);
    expect(isErrorReply("Unknown command, but maybe one of the following ones is a better match:\n")).toBe(true);
    // A map edit of a key the live map does not hold: what runs is not what bamboo thinks.
    expect(isErrorReply("entry not found.\n\n")).toBe(true);
    expect(isErrorReply("Key not found.\n\n")).toBe(true);
    expect(isErrorReply("IP changed from '127.0.0.1' to '127.0.0.2' by 'stats socket command'\n\n")).toBe(false);
    expect(isErrorReply("no need to change the addr by 'stats socket command'\n\n")).toBe(false);
    expect(isErrorReply("\n")).toBe(false);
    // Only the start of a reply counts: show info has a "FailedResolutions: 0" line.
    expect(isErrorReply("Name: HAProxy\nFailedResolutions: 0\nUnknown: 1\n")).toBe(false);
  });

  test("pipelined replies are told apart by the empty line ending each", () => {
    expect(splitReplies("IP changed\n\n\nNo such server.\n\n", 3)).toEqual(["IP changed", "", "No such server."]);
  });

  test("batches stay under the byte limit and keep order", () => {
    const commands = Array.from({ length: 10 }, (_, i) => `set weight b/s${i} 1`);
    const batches = chunkCommands(commands, 40);
    expect(batches.flat()).toEqual(commands);
    for (const batch of batches) expect(batch.join("\n").length + 1).toBeLessThanOrEqual(40);
    expect(() => chunkCommands(["a;b"], 100)).toThrow(RangeError);
  });
});
