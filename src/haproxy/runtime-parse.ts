/** Reading the runtime API's replies; pure, so it is tested on captured output. */

// Flags of srv_admin_state (include/haproxy/server-t.h). Maintenance is HAProxy's own
// SRV_ADMF_MAINT mask: forced (0x01), inherited (0x02) and resolver-driven (0x20). 0x04
// (CMAINT) only records that the config said "disabled": it stays set after
// `set server ... state ready` although the server then takes traffic (seen on 2.6.12).
const MAINT_FLAGS = 0x01 | 0x02 | 0x20;
const DRAIN_FLAGS = 0x08 | 0x10;

/** Reads the srv_admin_state bit field of `show servers state` as the state it was set to. */
export function adminStateOf(adminState: number): "ready" | "drain" | "maint" {
  if (adminState & MAINT_FLAGS) return "maint";
  if (adminState & DRAIN_FLAGS) return "drain";
  return "ready";
}
