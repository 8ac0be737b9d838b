import type { SlotLayout } from "./slots.ts";
import { slotName } from "./slots.ts";

/**
 * Keeps only the lines of a `show servers state` dump that still describe the same task
 * in the next config. HAProxy restores a server's port and state from this file on a
 * reload even when the config moved another task into that slot (seen on 2.6.12), so an
 * unfiltered dump would send traffic to the old task's port or keep a new task parked.
 */
export function serverStateFor(dump: string, next: SlotLayout): string {
  const lines = dump.split("\n");
  const version = lines[0]?.trim();
  const header = lines.find((line) => line.startsWith("# "));
  if (version !== "1" || header === undefined) return "";
  const columns = header.slice(2).trim().split(/\s+/);
  const at = (name: string) => columns.indexOf(name);
  const [backendCol, serverCol, addrCol, portCol] = [at("be_name"), at("srv_name"), at("srv_addr"), at("srv_port")];
  if ([backendCol, serverCol, addrCol, portCol].includes(-1)) return "";

  const expected = new Map<string, string>();
  for (const [sectionHeader, slots] of next) {
    const backend = sectionHeader.split(" ")[1];
    slots.slots.forEach((endpoint, index) => {
      if (endpoint) expected.set(`${backend}/${slotName(index)}`, `${endpoint.host}:${endpoint.port}`);
    });
  }
  const kept = lines.slice(1).filter((line) => {
    if (line.startsWith("#") || line.trim() === "") return false;
    const fields = line.trim().split(/\s+/);
    const slot = `${fields[backendCol]}/${fields[serverCol]}`;
    return expected.get(slot) === `${fields[addrCol]}:${fields[portCol]}`;
  });
  return ["1", header, ...kept, ""].join("\n");
}
