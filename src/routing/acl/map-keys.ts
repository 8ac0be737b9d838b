import { tokenise } from "./tokenise.ts";

/**
 * What a map file's line can hold as a key. A map line is `key value`: the key ends at the
 * first blank, a line starting with '#' is a comment, and HAProxy reads no escapes there; a
 * control or non-ASCII character is refused too, as everywhere in a rule (tokenise.ts).
 *
 * @module
 */

/**
 * Why a pattern cannot be a map key, naming the character, or null.
 *
 * @example mapKeyProblem("/a b") // "the character ' ' (space, U+0020)"
 */
export function mapKeyProblem(key: string): string | null {
  if (key === "") return "an empty key";
  for (const char of key) {
    const code = char.codePointAt(0)!;
    if (code <= 0x20 || code === 0x7f) return `the character ${describeChar(char)}`;
    if (code > 0x7e) return `the non-ASCII character ${describeChar(char)}`;
  }
  if (key.startsWith("#")) return "a leading '#', which starts a comment";
  if (key.includes("\\")) return "a backslash";
  return null;
}

/**
 * Why a stored rule (written by another tool, so never through the parser) has a pattern no
 * map line could hold, or null. Escaped or quoted blanks (`/a\ b`) are what HAProxy accepts
 * in a rule but a map key cannot carry.
 */
export function storedRuleKeyProblem(acl: string): string | null {
  const tokens = tokenise(acl);
  if (!tokens.ok) return null;
  for (const word of tokens.words.slice(1)) {
    if (word.text.startsWith("-")) continue;
    const problem = mapKeyProblem(word.text);
    if (problem !== null && problem !== "an empty key") return `pattern '${word.text}' holds ${problem}, which a map file's key cannot hold`;
  }
  return null;
}

/** A character as a message names it: printable ones quoted, the others by code point. */
export function describeChar(char: string): string {
  const code = char.codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  if (code === 0x20) return `' ' (space, ${hex})`;
  return code < 0x20 || code === 0x7f ? `${hex} (a control character)` : `'${char}' (${hex})`;
}
