/**
 * Reads a rendered HAProxy config just deeply enough to tell its structure (sections and
 * their directives) from its servers (addresses that change with every task). This is
 * what lets bamboo decide "runtime API or reload" for any template, not only its own.
 */

/** A `server` line whose address bamboo can manage at run time. */
export interface ServerLine {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Everything after the address, normalised to single spaces (e.g. `check inter 5s`). */
  readonly options: string;
}

export interface Section {
  /** The header line as written, trimmed (e.g. `backend ::app-cluster`); "" for lines before the first section. */
  readonly header: string;
  /** Lines of the section in order; server lines parsed, everything else verbatim. */
  readonly lines: readonly (string | ServerLine)[];
}

const SECTION_KEYWORDS = new Set([
  "global",
  "defaults",
  "frontend",
  "backend",
  "listen",
  "peers",
  "resolvers",
  "userlist",
  "program",
  "mailers",
  "cache",
  "ring",
  "http-errors",
]);

/** True for a line that opens a section (`backend x`, `global`...). */
export function isSectionHeader(line: string): boolean {
  return SECTION_KEYWORDS.has(firstWord(line));
}

/** Sections whose servers carry traffic and may be managed as slots. */
const PROXY_SECTIONS = new Set(["backend", "listen"]);

/** A section as written: its header and its lines, not yet read. */
export interface RawSection {
  readonly header: string;
  readonly lines: readonly string[];
}

/** Splits a config into sections without reading their lines. */
export function splitSections(text: string): RawSection[] {
  const sections: { header: string; lines: string[] }[] = [{ header: "", lines: [] }];
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (isSectionHeader(line)) sections.push({ header: line.trim().replace(/\s+/g, " "), lines: [] });
    else sections.at(-1)!.lines.push(line);
  }
  return sections;
}

/** Reads a section's lines: server lines of proxy sections parsed, the rest verbatim. */
export function parseSection(raw: RawSection): Section {
  const proxy = PROXY_SECTIONS.has(firstWord(raw.header));
  return { header: raw.header, lines: raw.lines.map((line) => (proxy ? (parseServerLine(line) ?? line) : line)) };
}

export function parseConfig(text: string): Section[] {
  return splitSections(text).map(parseSection);
}

export function sectionKind(section: Section): string {
  return firstWord(section.header);
}

/**
 * `server <name> <host>:<port> [options]`. Returns undefined for anything else, including
 * servers without a literal port (`server x host` or `server x host:+1`): those stay
 * verbatim and any change to them needs a reload.
 */
export function parseServerLine(line: string): ServerLine | undefined {
  const match = /^\s*server\s+(\S+)\s+(\S+)(.*)$/.exec(line);
  if (!match) return undefined;
  const address = match[2]!;
  const colon = address.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const portText = address.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  const options = match[3]!.trim().replace(/#.*$/, "").trim().replace(/\s+/g, " ");
  return { name: match[1]!, host: address.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port, options };
}

/** A line without its comment and surrounding blanks; blank lines and comments do not count as structure. */
export function significant(line: string): string {
  return line.replace(/(^|\s)#.*$/, "").trim().replace(/\s+/g, " ");
}

function firstWord(line: string): string {
  const trimmed = line.trimStart();
  const end = trimmed.search(/\s/);
  return end < 0 ? trimmed : trimmed.slice(0, end);
}
