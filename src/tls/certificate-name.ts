/**
 * The name a certificate is known by everywhere: the API (`PUT /api/certificates/<name>`),
 * the file `<name>.pem` in HAProxy's certificate directory and in `BAMBOO_CERT_DIR`, and the
 * ZooKeeper node holding it. One rule for all three, so a name that works in one place works
 * in every other and needs no escaping anywhere. Pure.
 *
 * @module
 */

/** Fits a file name, a ZooKeeper node name, a metric label and a UI column. */
export const MAX_CERTIFICATE_NAME_LENGTH = 64;

const ALLOWED = "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit";
const FIRST = /^[a-z0-9]$/;
const REST = /^[a-z0-9._-]$/;

/**
 * Why `name` cannot name a certificate, or null when it can. Lower case only: a
 * case-insensitive file system (a macOS bind mount) would merge `Shop.pem` and `shop.pem`
 * where ZooKeeper keeps two nodes. No `..`, so a name never reads as a path in a log or a
 * URL. No `.pem` ending: the file is `<name>.pem`, and `shop.pem` would be stored as
 * `shop.pem.pem`, which is never what was meant.
 *
 * @example certificateNameProblem("shop.example") // null
 * @example certificateNameProblem("Shop") // "certificate name 'Shop': 'S' is not allowed; use lower-case letters, ..."
 */
export function certificateNameProblem(name: string): string | null {
  if (name === "") return `a certificate name is needed: use 1 to ${MAX_CERTIFICATE_NAME_LENGTH} ${ALLOWED}`;
  const chars = [...name];
  const shown = chars.length > MAX_CERTIFICATE_NAME_LENGTH ? `${chars.slice(0, 20).map(printable).join("")}...` : chars.map(printable).join("");
  const prefix = `certificate name '${shown}'`;
  if (chars.length > MAX_CERTIFICATE_NAME_LENGTH) return `${prefix} is ${chars.length} characters long; use at most ${MAX_CERTIFICATE_NAME_LENGTH}`;
  const bad = chars.findIndex((char, index) => !(index === 0 ? FIRST : REST).test(char));
  if (bad === 0 && REST.test(chars[0]!)) return `${prefix} starts with '${chars[0]}'; use ${ALLOWED}`;
  if (bad >= 0) {
    const char = chars[bad]!;
    const hint = /^[A-Z]$/.test(char) ? ` (write '${char.toLowerCase()}')` : "";
    return `${prefix}: ${describe(char)} is not allowed${hint}; use ${ALLOWED}`;
  }
  if (name.includes("..")) return `${prefix} contains '..'; use single dots between parts`;
  if (name.endsWith(".pem")) return `${prefix} ends in '.pem'; leave it out: the certificate '${name.slice(0, -4)}' is stored as ${name}`;
  return null;
}

/** A character as a message can show it: control characters escaped, others with their code point if not ASCII. */
function describe(char: string): string {
  const code = char.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) return `the control character ${escape(code)}`;
  if (char === " ") return "a space";
  if (code > 0x7e) return `'${char}' (${escape(code)})`;
  return `'${char}'`;
}

function printable(char: string): string {
  const code = char.codePointAt(0)!;
  return code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) ? escape(code) : char;
}

function escape(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}
