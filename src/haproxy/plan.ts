import { isSectionHeader } from "./config-structure.ts";
import { slotName, type Endpoint, type SlottedConfig } from "./slots.ts";

/** One runtime API command with what it is for, so a failure can be reported precisely. */
export type RuntimeCommand =
  | { readonly kind: "set-addr"; readonly backend: string; readonly server: string; readonly endpoint: Endpoint }
  | { readonly kind: "set-state"; readonly backend: string; readonly server: string; readonly state: "ready" | "maint" };

export type Plan =
  | { readonly kind: "none" }
  | { readonly kind: "runtime"; readonly commands: readonly RuntimeCommand[] }
  | { readonly kind: "reload"; readonly reasons: readonly string[] };

/**
 * The cheapest safe way from what HAProxy runs to what it should run: nothing, runtime API
 * commands when only slot contents changed, or a reload when the structure changed.
 */
export function plan(running: SlottedConfig | null, next: SlottedConfig): Plan {
  if (running === null) return { kind: "reload", reasons: ["first config"] };
  if (running.text === next.text) return { kind: "none" };
  if (running.structure !== next.structure) {
    return { kind: "reload", reasons: next.slotReasons.length > 0 ? next.slotReasons : describeStructureChange(running.structure, next.structure) };
  }
  const commands: RuntimeCommand[] = [];
  for (const [header, slots] of next.layout) {
    const backend = header.split(" ")[1]!;
    const before = running.layout.get(header)?.slots ?? [];
    for (const [index, endpoint] of slots.slots.entries()) {
      const was = before[index] ?? null;
      if (sameEndpoint(was, endpoint)) continue;
      const server = slotName(index);
      if (endpoint === null) {
        // Maintenance stops new requests at once; requests in flight on the old task finish.
        commands.push({ kind: "set-state", backend, server, state: "maint" });
        continue;
      }
      if (!isIpAddress(endpoint.host)) {
        return { kind: "reload", reasons: [`${header}: server address ${endpoint.host} is a host name, which the runtime API cannot set`] };
      }
      if (was !== null) commands.push({ kind: "set-state", backend, server, state: "maint" });
      commands.push({ kind: "set-addr", backend, server, endpoint });
      commands.push({ kind: "set-state", backend, server, state: "ready" });
    }
  }
  return commands.length === 0 ? { kind: "none" } : { kind: "runtime", commands };
}

/** The runtime API text of a command. */
export function commandText(command: RuntimeCommand): string {
  if (command.kind === "set-addr") return `set server ${command.backend}/${command.server} addr ${command.endpoint.host} port ${command.endpoint.port}`;
  return `set server ${command.backend}/${command.server} state ${command.state}`;
}

function sameEndpoint(a: Endpoint | null, b: Endpoint | null): boolean {
  return a === b || (a !== null && b !== null && a.host === b.host && a.port === b.port);
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.includes(":") && /^[0-9a-fA-F:.]+$/.test(host));
}

/** Names the sections whose directives changed, for the reload's log line and status. */
function describeStructureChange(before: string, after: string): string[] {
  const sectionsOf = (structure: string) => {
    const sections = new Map<string, string[]>();
    let current = "";
    for (const line of structure.split("\n")) {
      if (isSectionHeader(line)) current = line;
      sections.set(current, [...(sections.get(current) ?? []), line]);
    }
    return sections;
  };
  const old = sectionsOf(before);
  const now = sectionsOf(after);
  const reasons: string[] = [];
  for (const header of now.keys()) {
    if (!old.has(header)) reasons.push(`${header || "preamble"} added`);
    else if (old.get(header)!.join("\n") !== now.get(header)!.join("\n")) reasons.push(`${header || "preamble"} changed`);
  }
  for (const header of old.keys()) if (!now.has(header)) reasons.push(`${header || "preamble"} removed`);
  return reasons.length > 0 ? reasons : ["config changed"];
}
