import { RuntimeApiError } from "./errors.ts";
import { StatRowReader, type StatRow } from "./stat-csv.ts";
import { sendOverUnixSocket, streamOverUnixSocket } from "./unix-socket.ts";

/** Administrative state a server slot can be put in at run time. */
export type ServerAdminState = "ready" | "drain" | "maint";

/** Options of {@link RuntimeApi}. */
export interface RuntimeApiOptions {
  /** Deadline of one socket exchange. */
  readonly timeoutMs?: number;
  /**
   * Largest request sent in one connection. HAProxy reads CLI input into a buffer of
   * `tune.bufsize` (16384 by default) of which `tune.maxrewrite` (1024) is reserved, so a
   * batch stays below the difference even though 2.6 was seen consuming longer input.
   */
  readonly maxBatchBytes?: number;
}

const DEFAULT_MAX_BATCH_BYTES = 16_384 - 1_024;

/**
 * Replies HAProxy 2.6 gives when it refuses a command. Success replies of the commands we
 * send are empty or informational ("IP changed from ...", "no need to change the addr").
 */
const ERROR_REPLY =
  /^(No such |Unknown command|Invalid |Require |Permission denied|Can't |Cannot |Missing |Unknown |Unable |Out of memory|Failed|Not found|entry not found|Key not found|Backend is using a static LB algorithm|'[^']+' expects )/;

/** True when `reply` is one of HAProxy's error answers. */
export function isErrorReply(reply: string): boolean {
  return ERROR_REPLY.test(reply.trimStart());
}

/**
 * Thin client of the workers' runtime API (the `stats socket ... level admin`). One
 * connection per request; every reply is checked for HAProxy's error answers.
 */
export class RuntimeApi {
  private readonly timeoutMs: number;
  private readonly maxBatchBytes: number;

  constructor(
    readonly socketPath: string,
    options: RuntimeApiOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  }

  /**
   * Sends one command and returns HAProxy's reply.
   * @throws RuntimeApiError when HAProxy answers with an error.
   */
  async send(command: string): Promise<string> {
    assertSingleCommand(command);
    const reply = await sendOverUnixSocket(this.socketPath, command, { timeoutMs: this.timeoutMs });
    if (isErrorReply(reply)) throw new RuntimeApiError({ command, reply });
    return reply;
  }

  /**
   * Sends a `show stat` command and hands each row of the reply to `onRow` as it arrives, the
   * reading taking turns with other work: at 10,000 backends the reply is 2.4 MB.
   * @throws StatCsvError when HAProxy answers with anything but its CSV (an error reply).
   */
  async readStat(command: string, onRow: (row: StatRow) => void): Promise<void> {
    assertSingleCommand(command);
    const reader = new StatRowReader(onRow);
    await streamOverUnixSocket(this.socketPath, command, (text) => reader.read(text), { timeoutMs: this.timeoutMs });
    reader.end();
  }

  /**
   * Sends many commands in as few connections as the buffer allows (newline-separated) and
   * returns one reply per command, in order. Only for commands whose reply has no blank
   * line (set, add, del...): HAProxy ends each reply with an empty line, which is how the
   * replies are told apart.
   * @throws RuntimeApiError for the first refused command; the commands after it in the
   *   same batch were still run by HAProxy.
   */
  async sendBatch(commands: readonly string[]): Promise<string[]> {
    const replies: string[] = [];
    for (const batch of chunkCommands(commands, this.maxBatchBytes)) {
      const raw = await sendOverUnixSocket(this.socketPath, batch.join("\n"), { timeoutMs: this.timeoutMs });
      const split = splitReplies(raw, batch.length);
      batch.forEach((command, i) => {
        const reply = split[i] ?? "";
        if (isErrorReply(reply)) throw new RuntimeApiError({ command, reply });
        replies.push(reply);
      });
    }
    return replies;
  }

  /**
   * Runs the commands in order, batched; rejects naming the first command HAProxy refused.
   * The shape the applier asks of a runtime API.
   */
  async run(commands: readonly string[]): Promise<void> {
    await this.sendBatch(commands);
  }
}

/** The runtime command that moves a server slot to `addr:port`. */
export function setServerAddrCommand(backend: string, server: string, addr: string, port: number): string {
  assertToken(backend, "backend");
  assertToken(server, "server");
  assertToken(addr, "address");
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`invalid port ${port}`);
  return `set server ${backend}/${server} addr ${addr} port ${port}`;
}

/** The runtime command that sets a server slot's administrative state. */
export function setServerStateCommand(backend: string, server: string, state: ServerAdminState): string {
  assertToken(backend, "backend");
  assertToken(server, "server");
  return `set server ${backend}/${server} state ${state}`;
}

/** Closes every connection a server has: `shutdown sessions server <backend>/<server>`. */
export function shutdownSessionsCommand(backend: string, server: string): string {
  assertToken(backend, "backend");
  assertToken(server, "server");
  return `shutdown sessions server ${backend}/${server}`;
}

/** The command that starts an empty, invisible version of a map: `prepare map <path>`; its reply names the version. */
export function prepareMapCommand(map: string): string {
  assertMapPath(map);
  return `prepare map ${map}`;
}

/** The version number in `prepare map`'s reply ("New version created: 3"). */
export function preparedMapVersion(reply: string): number {
  const match = /New version created:\s*([0-9]+)/.exec(reply);
  if (!match) throw new RangeError(`unexpected reply to prepare map: ${JSON.stringify(reply.trim())}`);
  return Number(match[1]);
}

/**
 * Commands that add entries to a prepared version of a map, each carrying as many as fit
 * `maxBytes` as a payload (`add map @N <map> <<`, one `key value` line each, an empty
 * line). One line per entry is less than half the bytes of one command per entry, and the
 * bytes decide the round trips: replacing a 10,000-entry map took 78 ms one command each.
 */
export function addMapEntriesCommands(version: number, map: string, entries: readonly { readonly key: string; readonly value: string }[], maxBytes = DEFAULT_MAX_BATCH_BYTES): string[] {
  const head = `add map @${version} ${map} <<\n`;
  assertVersion(version);
  assertMapPath(map);
  const commands: string[] = [];
  let lines = "";
  for (const { key, value } of entries) {
    assertMapWord(key, "key");
    assertMapWord(value, "value");
    const line = `${key} ${value}\n`;
    // The empty last line and the newline between batched commands: 2 bytes (keys are ASCII).
    if (head.length + line.length + 2 > maxBytes) throw new RangeError(`map entry longer than ${maxBytes} bytes: ${key.slice(0, 80)}...`);
    if (lines !== "" && head.length + lines.length + line.length + 2 > maxBytes) {
      commands.push(`${head}${lines}\n`);
      lines = "";
    }
    lines += line;
  }
  if (lines !== "") commands.push(`${head}${lines}\n`);
  return commands;
}

/** The command that adds one entry to the live map: `add map <map> <key> <value>`. */
export function addMapEntryCommand(map: string, key: string, value: string): string {
  assertMapPath(map);
  assertLiveMapKey(key);
  assertMapWord(value, "value");
  return `add map ${map} ${key} ${value}`;
}

/** The command that changes the value of a key in the live map. */
export function setMapEntryCommand(map: string, key: string, value: string): string {
  assertMapPath(map);
  assertLiveMapKey(key);
  assertMapWord(value, "value");
  return `set map ${map} ${key} ${value}`;
}

/** The command that removes a key from the live map. */
export function deleteMapEntryCommand(map: string, key: string): string {
  assertMapPath(map);
  assertLiveMapKey(key);
  return `del map ${map} ${key}`;
}

/** The command that makes a prepared version the map's whole content, at once. */
export function commitMapCommand(version: number, map: string): string {
  assertVersion(version);
  assertMapPath(map);
  return `commit map @${version} ${map}`;
}

/**
 * Whether a key or value can travel in a runtime command: the CLI splits commands at ';'
 * and words at blanks, so a key holding either is only ever written to the map file.
 */
export function isRuntimeMapWord(word: string): boolean {
  return /^[\x21-\x7e]+$/.test(word) && !word.includes(";") && !word.includes("\\");
}

function assertMapWord(word: string, what: "key" | "value"): void {
  if (!isRuntimeMapWord(word)) throw new RangeError(`invalid map ${what}: ${JSON.stringify(word)}`);
}

// `set map` and `del map` read a key starting with '#' as an entry's reference number.
function assertLiveMapKey(key: string): void {
  assertMapWord(key, "key");
  if (key.startsWith("#")) throw new RangeError(`invalid map key: ${JSON.stringify(key)}`);
}

function assertMapPath(map: string): void {
  assertCliPath(map, "map");
}

/** A file path pasted into a command line: absolute, printable, no blank, ';' or backslash. */
export function assertCliPath(path: string, what: "map" | "certificate"): void {
  if (!path.startsWith("/") || !isRuntimeMapWord(path)) throw new RangeError(`invalid ${what} path: ${JSON.stringify(path)}`);
}

function assertVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`invalid map version ${version}`);
}

/**
 * Groups commands so that each group, newline-joined, fits in `maxBytes`. A command with a
 * payload goes alone: its empty last line ends the payload, and nothing may follow it.
 */
export function chunkCommands(commands: readonly string[], maxBytes: number): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const command of commands) {
    assertSingleCommand(command);
    const bytes = Buffer.byteLength(command) + 1;
    if (bytes > maxBytes) throw new RangeError(`command longer than ${maxBytes} bytes: ${command.slice(0, 80)}...`);
    if (PAYLOAD_COMMAND.test(command)) {
      if (current.length > 0) batches.push(current);
      batches.push([command]);
      current = [];
      size = 0;
      continue;
    }
    if (size + bytes > maxBytes && current.length > 0) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(command);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Cuts the output of `count` pipelined commands at the empty line ending each reply. */
export function splitReplies(raw: string, count: number): string[] {
  const lines = raw.split("\n");
  const replies: string[] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (replies.length === count) break;
    if (line === "") {
      replies.push(current.join("\n"));
      current = [];
    } else {
      current.push(line);
    }
  }
  return replies;
}

/** A command line ending in `<<`, then non-empty payload lines, then the empty line that ends them. */
const PAYLOAD_COMMAND = /^[^;\n\r]+ <<\n(?:[^;\n\r]+\n)+\n$/;

// A ';' or newline inside one command would make HAProxy run two commands; a payload's
// lines are data, and only its empty last line ends it.
function assertSingleCommand(command: string): void {
  if (/[;\n\r]/.test(command) && !PAYLOAD_COMMAND.test(command)) throw new RangeError(`one command expected, got: ${JSON.stringify(command)}`);
}

// Names and addresses are pasted into a space-separated command line: whitespace, ';' or
// '/' (the backend/server separator) would change its meaning.
function assertToken(value: string, what: "backend" | "server" | "address"): void {
  const forbidden = what === "address" ? /[\s;]/ : /[\s;/\\]/;
  if (value === "" || forbidden.test(value)) throw new RangeError(`invalid ${what}: ${JSON.stringify(value)}`);
}
