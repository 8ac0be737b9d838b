import { parseSection, significant, splitSections, type RawSection, type Section, type ServerLine } from "./config-structure.ts";

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
  for (const raw of splitSections(rendered)) {
    const result = slotSectionCached(raw, previous.get(raw.header));
    text.push(result.text);
    if (result.structure !== "") structure.push(result.structure);
    slotReasons.push(...result.reasons);
    if (result.slots !== null) layout.set(raw.header, result.slots);
  }
  return { text: text.join("\n"), structure: structure.join("\n"), layout, slotReasons };
}

interface SectionResult {
  /** The section's lines joined: one string per section keeps assembling a large config cheap. */
  readonly text: string;
  readonly structure: string;
  readonly slots: BackendSlots | null;
  readonly reasons: readonly string[];
}

/**
 * Results by section text. A task event changes one app's section; re-reading the
 * thousands of others on every event cost more than everything else on the churn path at
 * 10,000 apps. A result is reused only for the same text and the same previous slots, or
 * when the previous slots are that result's own (re-slotting unchanged servers into their
 * own slots changes nothing), so the answer is always what a fresh computation would give.
 */
const sectionResults = new Map<string, { readonly before: BackendSlots | undefined; readonly result: SectionResult }>();
const MAX_CACHED_SECTIONS = 100_000;

function slotSectionCached(raw: RawSection, before: BackendSlots | undefined): SectionResult {
  const key = `${raw.header}\n${raw.lines.join("\n")}`;
  const cached = sectionResults.get(key);
  if (cached && cached.before === before) return cached.result;
  if (cached && cached.result.slots !== null && cached.result.slots === before) return { ...cached.result, reasons: [] };
  const result = slotSection(parseSection(raw), before);
  if (sectionResults.size >= MAX_CACHED_SECTIONS) sectionResults.clear();
  sectionResults.set(key, { before, result });
  return result;
}

function slotSection(section: Section, before: BackendSlots | undefined): SectionResult {
  const text: string[] = [];
  const structure: string[] = [];
  const reasons: string[] = [];
  if (section.header !== "") {
    text.push(section.header);
    structure.push(section.header);
  }
  const servers = section.lines.filter((line): line is ServerLine => typeof line !== "string");
  const slots = servers.length > 0 || before !== undefined ? planSlots(section, servers, before, reasons) : null;
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
  // A backend scaled to zero keeps its slots (all parked) so the next task needs no reload.
  if (slots !== null && !slotsWritten) writeSlots(slots, text, structure);
  return { text: text.join("\n"), structure: structure.join("\n"), slots, reasons };
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
