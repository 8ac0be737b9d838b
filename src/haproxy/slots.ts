import { edenGC } from "bun:jsc";
import { commonPrefixOfPieces, commonSuffixOfPieces, textBetween } from "./pieces.ts";
import { parseSection, significant, splitSections, type Section, type ServerLine } from "./config-structure.ts";

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

/** One section of a slotted config, with what it was made from so the next render can reuse it. */
export interface SlottedSection {
  readonly header: string;
  /** Length of the header line as rendered (0 for the lines before the first section). */
  readonly headerLength: number;
  /** The section's body as rendered, before slotting. */
  readonly body: string | null;
  /** The section's lines as written to the config file, joined. */
  readonly text: string;
  readonly slots: BackendSlots | null;
}

export interface SlottedConfig {
  readonly sections: readonly SlottedSection[];
  /** Why the structure differs from the previous config's, where slots are the cause. */
  readonly slotReasons: readonly string[];
  /** The template's output it was made from (in pieces), its length, and where each section starts in it. */
  readonly rendered: readonly string[];
  readonly renderedLength: number;
  readonly starts: readonly number[];
  /**
   * The config it was made from (its sections), the sections of it that were read again,
   * and what they replaced: all a plan needs to look at when that config is what runs.
   */
  readonly madeFrom: readonly SlottedSection[] | null;
  readonly reread: readonly SlottedSection[];
  readonly replaced: readonly SlottedSection[];
  /** Slots of every managed backend, built when first asked for. */
  readonly layout: SlotLayout;
  /** The config to write, built when first asked for: see {@link textPieces} to write it without building it. */
  readonly text: string;
}

/** The config text as pieces, in order: writing them one by one never builds the whole. */
export function textPieces(config: SlottedConfig): string[] {
  const pieces: string[] = [];
  config.sections.forEach((section, i) => {
    if (i > 0) pieces.push("\n");
    pieces.push(section.text);
  });
  return pieces;
}

/**
 * Equal structure means no reload is needed: only slot addresses and states differ. A config
 * made from another shares its unchanged sections, which are equal without a look.
 */
export function sameStructure(a: SlottedConfig, b: SlottedConfig): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.sections.length && isBlank(a.sections[i]!)) i++;
    while (j < b.sections.length && isBlank(b.sections[j]!)) j++;
    if (i === a.sections.length || j === b.sections.length) return i === a.sections.length && j === b.sections.length;
    const [x, y] = [a.sections[i]!, b.sections[j]!];
    if (x !== y && structureOf(x) !== structureOf(y)) return false;
    i++;
    j++;
  }
}

/**
 * A section's directives without comments, blanks and slot addresses: what must stay the same
 * for no reload. Worked out when asked: kept for every section it was 0.9 MB at 10,000 apps,
 * and only the sections a change read again are ever compared.
 */
export function structureOf(section: SlottedSection): string {
  const structure: string[] = section.header === "" ? [] : [section.header];
  let slotsWritten = false;
  for (const line of parseSection(section).lines) {
    if (typeof line === "string") {
      const kept = significant(line);
      if (kept !== "") structure.push(kept);
    } else if (section.slots === null) structure.push(significant(verbatimServerLine(line)));
    else if (!slotsWritten) {
      slotsWritten = true;
      structure.push(slotsStructure(section.slots));
    }
  }
  // A backend scaled to zero keeps its slots (slotSection).
  if (section.slots !== null && !slotsWritten) structure.push(slotsStructure(section.slots));
  return structure.join("\n");
}

/** The lines before the first section, when they are only comments and blanks. */
function isBlank(section: SlottedSection): boolean {
  return section.header === "" && structureOf(section) === "";
}

/** Free slots have to name some address for `haproxy -c`; they are never contacted while in maintenance. */
export const PARKED_ADDRESS: Endpoint = { host: "127.0.0.1", port: 1 };

/**
 * How many slots a backend gets, from what HAProxy's worker pays for them. Measured with
 * HAProxy 2.6.12 (10,000 backends of `balance leastconn`, servers without `check`, worker
 * VmRSS after start): each server costs about 4.4 KiB plus 0.5 KiB per thread (5.5 KiB
 * with 2 threads, 8.7 KiB with 8), each backend about 9.4 KiB plus 1.2 KiB per thread
 * before its servers, whether a server is parked or not. At 10,000 single-task apps on 2
 * threads the backends alone are 105 MiB and 10,000 path rules 12 MiB: one slot each makes
 * about 180 MiB, two 235 MiB and eight (the old fixed minimum) 558 MiB.
 *
 * So headroom follows the app's `instances`: twice as many slots as instances, which is what
 * Marathon runs at most during a rolling restart with its default upgrade strategy
 * (`maximumOverCapacity` 1), so deploys and scaling within that range never reload. A
 * single-instance app gets no spare slot: at 10,000 of them a spare slot each would cost more
 * than the whole memory budget's headroom, and such an app reloads once, the first time it
 * runs a second task, then keeps what it grew to.
 */
export function slotCountFor(servers: number, instances: number = servers): number {
  const wanted = Math.max(servers, instances, 1);
  return wanted === 1 ? 1 : 2 * wanted;
}

/**
 * Slots for a backend whose `servers` outgrew `current` slots: at least double, so an app
 * that keeps growing reloads a logarithmic number of times, and as many as its raised
 * `instances` call for when Marathon scaled it.
 */
export function grownSlotCount(current: number, servers: number, instances: number): number {
  return Math.max(2 * current, servers, slotCountFor(0, instances));
}

/**
 * Slotting a section leaves its lines and their parts behind as garbage, which the collector
 * lets pile up in proportion to the heap: slotting a whole config of 10,000 apps grew bamboo's
 * peak memory by about 15 MB. The young objects are collected after each this much section
 * text read, for well under a millisecond each time; a task event reads one section.
 */
const COLLECT_EVERY_SLOTTED = 256 * 1024;

/** The app's `instances` for a section header, undefined when no app owns that section. */
export type InstancesOf = (header: string) => number | undefined;

export function slotName(index: number): string {
  return `slot${index + 1}`;
}

/**
 * Turns a rendered config into its slotted form. A backend keeps its previous slots when
 * its servers still fit and share the same options; a task keeps the slot it had, so
 * health state carried by slot name stays with the right task.
 *
 * A task event changes one section of thousands, and reading all of them again on every
 * event cost more than everything else on the churn path at 10,000 apps. So only the part
 * of the text that differs from `previous`'s is read: sections before and after it are
 * `previous`'s own objects, slots included, which is what slotting them again would give.
 */
export function slotConfig(rendered: string | readonly string[], previous: SlottedConfig | null, instancesOf: InstancesOf = () => undefined): SlottedConfig {
  const pieces = typeof rendered === "string" ? [rendered] : rendered;
  const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const old = previous?.sections ?? [];
  const { head, tail } = previous === null ? { head: 0, tail: 0 } : changedRange(previous, pieces, length);
  const delta = length - (previous?.renderedLength ?? 0);
  const middleStart = previous === null ? 0 : previous.starts[head]!;
  const middleEnd = tail === old.length ? length : previous!.starts[tail]! + delta - 1;

  const replaced = old.slice(head, tail);
  const before = new Map(replaced.map((section) => [section.header, section]));
  const reread: SlottedSection[] = [];
  const rereadStarts: number[] = [];
  const slotReasons: string[] = [];
  let slottedSinceCollect = 0;
  for (const raw of splitSections(textBetween(pieces, middleStart, middleEnd))) {
    // Text cut at a header has nothing before it: that empty preamble is not a section.
    if (middleStart > 0 && raw.header === "") continue;
    const last = before.get(raw.header);
    let section: SlottedSection;
    if (last !== undefined && last.body === raw.body) section = last;
    else {
      const result = slotSection(parseSection(raw), last?.slots ?? undefined, instancesOf);
      slotReasons.push(...result.reasons);
      section = { header: raw.header, headerLength: raw.headerLength, body: raw.body, text: result.text, slots: result.slots };
      slottedSinceCollect += result.text.length;
      if (slottedSinceCollect >= COLLECT_EVERY_SLOTTED) {
        slottedSinceCollect = 0;
        edenGC();
      }
    }
    reread.push(section);
    rereadStarts.push(middleStart + raw.start);
  }

  const sections = [...old.slice(0, head), ...reread, ...old.slice(tail)];
  const starts = [...(previous?.starts.slice(0, head) ?? []), ...rereadStarts, ...(previous?.starts.slice(tail).map((start) => start + delta) ?? [])];
  let layout: SlotLayout | undefined;
  let text: string | undefined;
  return {
    sections,
    slotReasons,
    rendered: pieces,
    renderedLength: length,
    starts,
    madeFrom: previous?.sections ?? null,
    reread,
    replaced,
    get layout() {
      return (layout ??= new Map(sections.filter((section) => section.slots !== null).map((section) => [section.header, section.slots!])));
    },
    get text() {
      return (text ??= textPieces(this).join(""));
    },
  };
}

/**
 * The sections of `previous` that may differ in `rendered`: [head, tail). Before head,
 * every section up to the next header line lies in the common prefix; from tail on, every
 * section from the newline before its header lies in the common suffix. Header lines are
 * found by their own text and the newline before them, so the same text there has the same
 * sections.
 */
function changedRange(previous: SlottedConfig, rendered: readonly string[], length: number): { head: number; tail: number } {
  const prefix = commonPrefixOfPieces(previous.rendered, rendered);
  const suffix = commonSuffixOfPieces(previous.rendered, rendered, Math.min(previous.renderedLength, length) - prefix);
  const { starts, sections } = previous;
  let head = 0;
  // Section i is unchanged when the header line of section i + 1, newline included, is in the prefix.
  while (head + 1 < starts.length && starts[head + 1]! + sections[head + 1]!.headerLength < prefix) head++;
  let tail = starts.length;
  while (tail - 1 > head && starts[tail - 1]! >= 1 && starts[tail - 1]! - 1 >= previous.renderedLength - suffix) tail--;
  return { head, tail };
}

interface SectionResult {
  /** The section's lines joined: one string per section keeps assembling a large config cheap. */
  readonly text: string;
  readonly slots: BackendSlots | null;
  readonly reasons: readonly string[];
}

function slotSection(section: Section, before: BackendSlots | undefined, instancesOf: InstancesOf): SectionResult {
  const text: string[] = [];
  const reasons: string[] = [];
  if (section.header !== "") text.push(section.header);
  const servers = section.lines.filter((line): line is ServerLine => typeof line !== "string");
  const slots = servers.length > 0 || before !== undefined ? planSlots(section, servers, before, instancesOf, reasons) : null;
  let slotsWritten = false;
  for (const line of section.lines) {
    if (typeof line === "string") {
      text.push(line);
      continue;
    }
    if (slots === null) {
      text.push(verbatimServerLine(line));
      continue;
    }
    if (slotsWritten) continue;
    slotsWritten = true;
    writeSlots(slots, text);
  }
  // A backend scaled to zero keeps its slots (all parked) so the next task needs no reload.
  if (slots !== null && !slotsWritten) writeSlots(slots, text);
  return { text: text.join("\n"), slots, reasons };
}

function planSlots(section: Section, servers: readonly ServerLine[], before: BackendSlots | undefined, instancesOf: InstancesOf, reasons: string[]): BackendSlots | null {
  const optionSets = new Set(servers.map((server) => server.options));
  if (optionSets.size > 1) return null; // Servers that differ in more than their address are kept verbatim.
  const options = servers[0]?.options ?? before!.options;
  const wanted = servers.map((server) => ({ host: server.host, port: server.port }));

  if (before && before.options === options && wanted.length <= before.slots.length) {
    return { options, slots: assign(before.slots, wanted, before.slots.length) };
  }
  const instances = instancesOf(section.header) ?? wanted.length;
  const outgrown = before !== undefined && before.options === options;
  const count = outgrown ? grownSlotCount(before.slots.length, wanted.length, instances) : slotCountFor(wanted.length, instances);
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

function writeSlots(slots: BackendSlots, text: string[]): void {
  const options = slots.options ? ` ${slots.options}` : "";
  slots.slots.forEach((endpoint, index) => {
    const address = formatAddress(endpoint ?? PARKED_ADDRESS);
    text.push(`    server ${slotName(index)} ${address}${options}${endpoint ? "" : " disabled"}`);
  });
}

/** Slots stand in a section's structure by their count and options: their addresses change at run time. */
function slotsStructure(slots: BackendSlots): string {
  return `server-slots ${slots.slots.length}${slots.options ? ` ${slots.options}` : ""}`;
}

/** A server line kept as the template wrote it, its options normalised. */
function verbatimServerLine(line: ServerLine): string {
  return `    server ${line.name} ${formatAddress(line)}${line.options ? ` ${line.options}` : ""}`;
}

function formatAddress(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}
