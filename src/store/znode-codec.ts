/**
 * Bamboo's on-ZooKeeper representation of a service, as pure functions: the
 * child node name (the app id, URL-query-escaped) and the node body (version 2
 * JSON written, version 1 raw ACL still read). Nothing here does I/O, so every
 * rule is table-tested against bodies exactly as Bamboo writes them.
 * @module
 */

import { makeService, type Service } from "./types.ts";

/** The outcome of reading one child node: a service, or why it was skipped. */
export type DecodedNode =
  | { readonly ok: true; readonly service: Service }
  | { readonly ok: false; readonly reason: string };

const UNRESERVED = /[A-Za-z0-9\-_.~]/;
const HEX = "0123456789ABCDEF";
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The child node name for an app id, identical to Go's `url.QueryEscape` so
 * Bamboo and bamboo address the same node: `/grp/app1` → `%2Fgrp%2Fapp1`.
 * @param id - Marathon app id, e.g. `/grp/app1`.
 */
export function encodeNodeName(id: string): string {
  let out = "";
  for (const byte of utf8.encode(id)) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && UNRESERVED.test(ch)) out += ch;
    else if (ch === " ") out += "+";
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/**
 * The app id a child node name stands for (Go's `url.QueryUnescape`), or
 * `null` when the name is not a valid escape or not UTF-8: such a node was not
 * written by Bamboo and is skipped rather than guessed at.
 */
export function decodeNodeName(name: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === "%") {
      const hex = name.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (ch === "+") {
      bytes.push(0x20);
    } else {
      bytes.push(...utf8.encode(ch));
    }
  }
  try {
    return strictUtf8.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

/**
 * The version-2 body Bamboo writes: byte-for-byte what Go's `json.Marshal`
 * produces for its V2 struct (keys `version`, `config`; map keys sorted; `<`,
 * `>`, `&`, U+2028 and U+2029 escaped), so a body round-trips unchanged
 * between Bamboo and bamboo instances sharing one path.
 */
export function encodeNodeBody(service: Service): string {
  const config: Record<string, string> = { ...service.config };
  if (service.acl !== "") config.Acl = service.acl;
  const members = Object.keys(config)
    .sort(compareUtf8)
    .map((key) => `${goString(key)}:${goString(config[key]!)}`);
  return `{"version":"2","config":{${members.join(",")}}}`;
}

/**
 * Reads one child node. A body that is a JSON object must be a valid version-2
 * body (anything else, e.g. a future version, is skipped, never guessed at);
 * any other body is Bamboo's version 1, the raw ACL.
 * @param name - the child node name (escaped id).
 * @param body - the node data; `null` or empty is a version-1 empty ACL.
 */
export function decodeNode(name: string, body: Uint8Array | null): DecodedNode {
  const id = decodeNodeName(name);
  if (id === null) return { ok: false, reason: `node name '${name}' is not a URL-query-escaped app id` };
  let text: string;
  try {
    text = strictUtf8.decode(body ?? new Uint8Array());
  } catch {
    return { ok: false, reason: `node '${name}' holds a body that is not UTF-8` };
  }
  if (!text.trimStart().startsWith("{")) return { ok: true, service: makeService(id, text) };
  return decodeV2(id, name, text);
}

function decodeV2(id: string, name: string, text: string): DecodedNode {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `node '${name}' holds invalid JSON: ${(error as Error).message}` };
  }
  if (!isRecord(parsed)) return { ok: false, reason: `node '${name}' holds JSON that is not an object` };
  if (parsed.version !== "2") {
    return { ok: false, reason: `node '${name}' has body version ${JSON.stringify(parsed.version)}; only "2" is understood` };
  }
  const raw = parsed.config ?? {};
  if (!isRecord(raw)) return { ok: false, reason: `node '${name}' has a config that is not an object` };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== "string") return { ok: false, reason: `node '${name}' has config key '${key}' that is not a string` };
    config[key] = value;
  }
  return { ok: true, service: makeService(id, config.Acl ?? "", config) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Go sorts map keys by their bytes; UTF-16 order differs above the BMP.
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

// Go's encoder escapes HTML-significant characters and the JavaScript line
// separators that JSON.stringify leaves alone.
function goString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
