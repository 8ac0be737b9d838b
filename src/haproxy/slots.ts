import { parseConfig, significant, type Section, type ServerLine } from "./config-structure.ts";

/**
 * Server slots: every backend declares more servers than it has tasks, with stable names.
 * Tasks come and go by filling and freeing slots through the runtime API, so the config's
 * structure, and with it the HAProxy process, stays the same. Only a backend that outgrows
 * its slots (or a real structural change) needs a reload.
 */

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface BackendSlots {
  /** Options every server of the backend shares (`check inter 5s`...). */
  readonly options: string;
  /** One entry per slot; null is a free slot, parked in maintenance. */
  readonly slots: readonly (Endpoint | null)[];
}

/** Slots per backend, keyed by section header (`backend ::app-cluster`). */
export type SlotLayout = ReadonlyMap<string, BackendSlots>;

export interface SlottedConfig {
  /** The config to write: every managed backend's servers replaced by its slots. */
  readonly text: string;
  /** Everything but the slots' addresses: equal structure means no reload is needed. */
  readonly structure: string;
  readonly layout: SlotLayout;
  /** Why the structure differs from the previous layout's, where slots are the cause. */
  readonly slotReasons: readonly string[];
}

/** Free slots have to name some address for `haproxy -c`; they are never contacted while in maintenance. */
export const PARKED_ADDRESS: Endpoint = { host: "127.0.0.1", port: 1 };

/** Fewest slots a backend gets: small apps scale within them without a reload. */
export const MIN_SLOTS = 8;

/** Slots for `servers` servers: half as many again as headroom, in blocks of MIN_SLOTS. */
export function slotCountFor(servers: number): number {
  const wanted = Math.ceil(servers * 1.5);
  return Math.max(MIN_SLOTS, Math.ceil(wanted / MIN_SLOTS) * MIN_SLOTS);
}

export function slotName(index: number): string {
  return `slot${index + 1}`;
}

/**
 * Turns a rendered config into its slotted form. A backend keeps its previous slots when
 * its servers still fit and share the same options; a task keeps the slot it had, so
 * health state carried by slot name stays with the right task.
 */
export function slotConfig(rendered: string, previous: SlotLayout): SlottedConfig {
  const layout = new Map<string, BackendSlots>();
  const slotReasons: string[] = [];
  const text: string[] = [];
  const structure: string[] = [];

  for (const section of parseConfig(rendered)) {
    if (section.header !== "") {
      text.push(section.header);
      structure.push(section.header);
    }
    const servers = section.lines.filter((line): line is ServerLine => typeof line !== "string");
    const slots = servers.length > 0 || previous.has(section.header) ? planSlots(section, servers, previous.get(section.header), slotReasons) : null;
    let slotsWritten = false;
    for (const line of section.lines) {
      if (typeof line === "string") {
        text.push(line);
        const kept = significant(line);
        if (kept !== "") structure.push(kept);
        continue;
      }
      if (slots === null) {
        const verbatim = `    server ${line.name} ${formatAddress(line)}${line.options ? ` ${line.options}` : ""}`;
        text.push(verbatim);
        structure.push(significant(verbatim));
        continue;
      }
      if (slotsWritten) continue;
      slotsWritten = true;
      writeSlots(slots, text, structure);
    }
    if (slots !== null) {
      layout.set(section.header, slots);
      // A backend scaled to zero keeps its slots (all parked) so the next task needs no reload.
      if (!slotsWritten) writeSlots(slots, text, structure);
    }
  }
  return { text: text.join("\n"), structure: structure.join("\n"), layout, slotReasons };
}

function planSlots(section: Section, servers: readonly ServerLine[], before: BackendSlots | undefined, reasons: string[]): BackendSlots | null {
  const optionSets = new Set(servers.map((server) => server.options));
  if (optionSets.size > 1) return null; // Servers that differ in more than their address are kept verbatim.
  const options = servers[0]?.options ?? before!.options;
  const wanted = servers.map((server) => ({ host: server.host, port: server.port }));

  if (before && before.options === options && wanted.length <= before.slots.length) {
    return { options, slots: assign(before.slots, wanted, before.slots.length) };
  }
  const count = slotCountFor(wanted.length);
  if (before) {
    reasons.push(
      before.options !== options
        ? `${section.header}: server options changed`
        : `${section.header}: ${wanted.length} servers outgrew ${before.slots.length} slots, now ${count}`,
    );
  }
  return { options, slots: assign(before?.slots ?? [], wanted, count) };
}

/** Endpoints stay in the slot they had; newcomers take the lowest free slots. */
function assign(before: readonly (Endpoint | null)[], wanted: readonly Endpoint[], count: number): (Endpoint | null)[] {
  const slots: (Endpoint | null)[] = Array.from({ length: count }, () => null);
  const key = (endpoint: Endpoint) => `${endpoint.host}:${endpoint.port}`;
  const pending = new Map(wanted.map((endpoint) => [key(endpoint), endpoint]));
  before.forEach((endpoint, index) => {
    if (endpoint && index < count && pending.has(key(endpoint))) {
      slots[index] = endpoint;
      pending.delete(key(endpoint));
    }
  });
  let next = 0;
  for (const endpoint of pending.values()) {
    while (slots[next] !== null) next++;
    slots[next] = endpoint;
  }
  return slots;
}

function writeSlots(slots: BackendSlots, text: string[], structure: string[]): void {
  const options = slots.options ? ` ${slots.options}` : "";
  slots.slots.forEach((endpoint, index) => {
    const address = formatAddress(endpoint ?? PARKED_ADDRESS);
    text.push(`    server ${slotName(index)} ${address}${options}${endpoint ? "" : " disabled"}`);
  });
  structure.push(`server-slots ${slots.slots.length}${options}`);
}

function formatAddress(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}
