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

/** A section as written: its header and the text of its lines, not yet read. */
export interface RawSection {
  readonly header: string;
  /** Offset of the header line in the text (0 for the lines before the first section). */
  readonly start: number;
  /** Length of the header line as written (0 for the lines before the first section). */
  readonly headerLength: number;
  /** The lines after the header as rendered, joined by "\n"; null when it has none. */
  readonly body: string | null;
}

/** A line opening a section, found from the newline before it (`^` with the `m` flag is several times slower in Bun). */
const HEADER_LINE = new RegExp(`(?:^|\\n)[ \\t]*(?:${[...SECTION_KEYWORDS].join("|")})(?![^\\s])`, "g");

/**
 * Splits a config into sections without reading their lines: one scan for header lines,
 * the bodies are slices. A task event changes one section of thousands, so only bodies
 * that differ from the last render need reading at all.
 */
export function splitSections(text: string): RawSection[] {
  const sections: RawSection[] = [];
  let header = "";
  let start = 0;
  let headerLength = 0;
  let bodyStart = 0;
  const close = (end: number) => sections.push({ header, start, headerLength, body: end > bodyStart ? text.slice(bodyStart, end - 1) : null });
  for (const match of text.matchAll(HEADER_LINE)) {
    const lineStart = text[match.index] === "\n" ? match.index + 1 : match.index;
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline < 0 ? text.length : newline;
    close(lineStart);
    header = text.slice(lineStart, lineEnd).trim().replace(/\s+/g, " ");
    start = lineStart;
    headerLength = lineEnd - lineStart;
    bodyStart = lineEnd + 1;
  }
  close(text.length + 1);
  return sections;
}

/** The lines of a section's body. */
function bodyLines(body: string | null): string[] {
  return body === null ? [] : body.split("\n").map((line) => line.trimEnd());
}

/** Reads a section's lines: server lines of proxy sections parsed, the rest verbatim. */
export function parseSection(raw: Pick<RawSection, "header" | "body">): Section {
  const proxy = PROXY_SECTIONS.has(firstWord(raw.header));
  return { header: raw.header, lines: bodyLines(raw.body).map((line) => (proxy ? (parseServerLine(line) ?? line) : line)) };
}

/**
 * `server <name> <host>:<port> [options]`. Returns undefined for anything else, including
 * servers without a literal port (`server x host` or `server x host:+1`): those stay
 * verbatim and any change to them needs a reload.
 */
function parseServerLine(line: string): ServerLine | undefined {
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
