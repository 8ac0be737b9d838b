import { changedMapFiles, sameEntry, type MapFile, type MapFileEntry } from "./map-files.ts";
import {
  addMapEntriesCommands,
  addMapEntryCommand,
  commitMapCommand,
  deleteMapEntryCommand,
  isRuntimeMapWord,
  setMapEntryCommand,
  setServerAddrCommand,
  setServerStateCommand,
  shutdownSessionsCommand,
} from "./runtime-api.ts";
import { sameStructure, slotName, structureOf, type BackendSlots, type Endpoint, type SlottedConfig, type SlottedSection } from "./slots.ts";

/** One runtime API command with what it is for, so a failure can be reported precisely. */
export type RuntimeCommand =
  | { readonly kind: "set-addr"; readonly backend: string; readonly server: string; readonly endpoint: Endpoint }
  | { readonly kind: "set-state"; readonly backend: string; readonly server: string; readonly state: "ready" | "maint" }
  | { readonly kind: "shutdown-sessions"; readonly backend: string; readonly server: string };

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
  if (!sameStructure(running, next)) {
    return { kind: "reload", reasons: next.slotReasons.length > 0 ? next.slotReasons : describeStructureChange(running.sections, next.sections) };
  }
  const commands: RuntimeCommand[] = [];
  for (const [header, slots, before, tcp] of changedSlots(running, next)) {
    const backend = header.split(" ")[1]!;
    for (const [index, endpoint] of slots.slots.entries()) {
      const was = before?.slots[index] ?? null;
      if (sameEndpoint(was, endpoint)) continue;
      const server = slotName(index);
      // A TCP connection would stay on a task that is gone until a timeout ends it (an HTTP
      // request ends by itself): it is closed with its slot. Other slots' connections stay.
      const closeSessions = tcp && was !== null;
      if (endpoint === null) {
        // Maintenance stops new requests at once; requests in flight on the old task finish.
        commands.push({ kind: "set-state", backend, server, state: "maint" });
        if (closeSessions) commands.push({ kind: "shutdown-sessions", backend, server });
        continue;
      }
      if (!isIpAddress(endpoint.host)) {
        return { kind: "reload", reasons: [`${header}: server address ${endpoint.host} is a host name, which the runtime API cannot set`] };
      }
      if (was !== null) commands.push({ kind: "set-state", backend, server, state: "maint" });
      if (closeSessions) commands.push({ kind: "shutdown-sessions", backend, server });
      commands.push({ kind: "set-addr", backend, server, endpoint });
      commands.push({ kind: "set-state", backend, server, state: "ready" });
    }
  }
  return commands.length === 0 ? { kind: "none" } : { kind: "runtime", commands };
}

/**
 * Backends whose slots may differ, with their running slots. When `next` was made from
 * what runs, only the sections it read again can differ (slots.ts); otherwise any can.
 */
function changedSlots(running: SlottedConfig, next: SlottedConfig): [string, BackendSlots, BackendSlots | undefined, boolean][] {
  const madeFromRunning = next.madeFrom === running.sections;
  const candidates = madeFromRunning ? next.reread : next.sections;
  const before: ReadonlyMap<string, BackendSlots | undefined> = madeFromRunning
    ? new Map(next.replaced.map((section) => [section.header, section.slots ?? undefined]))
    : running.layout;
  return candidates.flatMap((section): [string, BackendSlots, BackendSlots | undefined, boolean][] =>
    section.slots === null || section.slots === before.get(section.header) ? [] : [[section.header, section.slots, before.get(section.header), isTcpSection(section)]],
  );
}

/** A section that proxies TCP: `mode tcp` among its directives (the default template's defaults are HTTP). */
function isTcpSection(section: SlottedSection): boolean {
  return /(^|\n)mode tcp(\n|$)/.test(structureOf(section));
}

/**
 * How the running maps become the next ones: unchanged, changed at run time, or only by a
 * reload. At run time a few changed keys are edited in the live map (`edits`); a map with
 * more is replaced whole (`replace`: `prepare map`, `add map @version`, `commit map`).
 * `changed` are the files to rewrite afterwards, so a reload comes back identical.
 */
export type MapPlan =
  | { readonly kind: "none" }
  | { readonly kind: "runtime"; readonly edits: readonly string[]; readonly replace: readonly MapFile[]; readonly changed: readonly MapFile[] }
  | { readonly kind: "reload"; readonly reasons: readonly string[] };

/**
 * More changed keys than this in one map and it is replaced whole. Editing a key costs
 * HAProxy next to nothing, while refilling a 10,000-entry map took 26-57 ms: a rule write,
 * which changes a key or two, must not pay for every other app's entry.
 */
const MAX_LIVE_EDITS = 64;

/**
 * A map the running config does not name, or a key the CLI cannot carry, needs the file and
 * a reload. Live edits add and change keys before deleting any, so a rule moving from one key
 * to another is never briefly in neither; each key changes atomically, the map's whole new
 * content only through `replace`.
 */
export function planMaps(running: readonly MapFile[], next: readonly MapFile[]): MapPlan {
  const changed = changedMapFiles(running, next);
  if (changed.length === 0) return { kind: "none" };
  const byPath = new Map(running.map((file) => [file.path, file]));
  const reasons: string[] = [];
  const upserts: string[] = [];
  const deletes: string[] = [];
  const replace: MapFile[] = [];
  for (const file of changed) {
    const before = byPath.get(file.path);
    if (before === undefined) {
      reasons.push(`map ${file.path} added`);
      continue;
    }
    const edits = keyEdits(before, file);
    // Only what travels through the CLI must fit a command: 10,000 unchanged keys need no check per write.
    const carried = edits === null ? file.entries : [...edits.add, ...edits.set, ...edits.remove.map((key) => ({ key, value: "-" }))];
    if (!carried.every((entry) => isRuntimeMapWord(entry.key) && isRuntimeMapWord(entry.value))) reasons.push(`map ${file.path}: a key the runtime API cannot carry`);
    else if (edits === null) replace.push(file);
    else {
      upserts.push(...edits.add.map((entry) => addMapEntryCommand(file.path, entry.key, entry.value)), ...edits.set.map((entry) => setMapEntryCommand(file.path, entry.key, entry.value)));
      deletes.push(...edits.remove.map((key) => deleteMapEntryCommand(file.path, key)));
    }
  }
  if (reasons.length > 0) return { kind: "reload", reasons };
  return { kind: "runtime", edits: [...upserts, ...deletes], replace, changed };
}

interface KeyEdits {
  readonly add: readonly MapFileEntry[];
  readonly set: readonly MapFileEntry[];
  readonly remove: readonly string[];
}

/**
 * The key edits that turn `before` into `after`, or null when the map is better replaced:
 * too many, a key `set`/`del` would read as a reference ('#'), or a repeated key (HAProxy
 * answers its first entry, an edit would change every one). Keys are unique by construction
 * (routing/route-maps.ts), so the entries both files share at the start and at the end are
 * the same keys with the same values and only the part between them is compared by key.
 */
function keyEdits(before: MapFile, after: MapFile): KeyEdits | null {
  const [a, b] = [before.entries, after.entries];
  let start = 0;
  while (start < a.length && start < b.length && sameEntry(a[start]!, b[start]!)) start++;
  let [endA, endB] = [a.length, b.length];
  while (endA > start && endB > start && sameEntry(a[endA - 1]!, b[endB - 1]!)) [endA, endB] = [endA - 1, endB - 1];
  const old = valuesByKey(a, start, endA);
  const next = valuesByKey(b, start, endB);
  if (old === null || next === null) return null;
  const add: MapFileEntry[] = [];
  const set: MapFileEntry[] = [];
  const remove: string[] = [];
  for (const [key, value] of next) {
    const was = old.get(key);
    if (was === undefined) add.push({ key, value });
    else if (was !== value) set.push({ key, value });
  }
  for (const key of old.keys()) if (!next.has(key)) remove.push(key);
  const keys = [...add.map((entry) => entry.key), ...set.map((entry) => entry.key), ...remove];
  return keys.length > MAX_LIVE_EDITS || keys.some((key) => key.startsWith("#")) ? null : { add, set, remove };
}

function valuesByKey(entries: readonly MapFileEntry[], from: number, to: number): Map<string, string> | null {
  const values = new Map<string, string>();
  for (let i = from; i < to; i++) {
    const entry = entries[i]!;
    if (values.has(entry.key)) return null;
    values.set(entry.key, entry.value);
  }
  return values;
}

/** The runtime commands that fill a prepared version of a map with its entries, then commit it. */
export function mapVersionCommands(version: number, map: MapFile): string[] {
  return [...addMapEntriesCommands(version, map.path, map.entries), commitMapCommand(version, map.path)];
}

/** The runtime API text of a command, through the builders that refuse what would split it. */
export function commandText(command: RuntimeCommand): string {
  if (command.kind === "set-addr") return setServerAddrCommand(command.backend, command.server, command.endpoint.host, command.endpoint.port);
  if (command.kind === "shutdown-sessions") return shutdownSessionsCommand(command.backend, command.server);
  return setServerStateCommand(command.backend, command.server, command.state);
}

function sameEndpoint(a: Endpoint | null, b: Endpoint | null): boolean {
  return a === b || (a !== null && b !== null && a.host === b.host && a.port === b.port);
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.includes(":") && /^[0-9a-fA-F:.]+$/.test(host));
}

/** Names the sections whose directives changed, for the reload's log line and status. */
function describeStructureChange(before: readonly SlottedSection[], after: readonly SlottedSection[]): string[] {
  // A section both configs share stands for itself: working out 10,000 structures twice for a reload's reasons is wasted.
  const kept = new Set(before);
  const shared = new Map<SlottedSection, string>();
  for (const section of after) if (kept.has(section)) shared.set(section, `\u0000${shared.size}`);
  const structures = (sections: readonly SlottedSection[]) => {
    const byHeader = new Map<string, string>();
    for (const section of sections) {
      const structure = shared.get(section) ?? structureOf(section);
      if (structure !== "") byHeader.set(section.header, [byHeader.get(section.header), structure].filter(Boolean).join("\n"));
    }
    return byHeader;
  };
  const old = structures(before);
  const now = structures(after);
  const reasons: string[] = [];
  for (const [header, structure] of now) {
    if (!old.has(header)) reasons.push(`${header || "preamble"} added`);
    else if (old.get(header) !== structure) reasons.push(`${header || "preamble"} changed`);
  }
  for (const header of old.keys()) if (!now.has(header)) reasons.push(`${header || "preamble"} removed`);
  return reasons.length > 0 ? reasons : ["config changed"];
}
