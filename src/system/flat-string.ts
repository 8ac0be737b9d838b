/**
 * JSC keeps a string built with `+` as a tree of its parts until something reads it whole,
 * and a tree of a dozen small parts weighs about twice the flat string. A string kept for long
 * is flattened once. A regular expression test reads the whole string and frees the parts;
 * `charCodeAt` does not (it marks the string flat but the parts stay alive: measured with
 * heap statistics, test/system/flat-string.test.ts).
 */
export function flatString(text: string): string {
  FLAT.test(text);
  return text;
}

const FLAT = /^/;

/**
 * A copy of a short string cut from a longer one. JSC keeps such a slice as a view of the
 * string it was cut from, and reading it whole does not change that: a backend's name kept
 * as a map key from a 64 KB piece of HAProxy's answer keeps the whole piece alive. Only a
 * string built again from its characters stands alone. For short strings: it copies them.
 */
export function detachedString(text: string): string {
  return text.split("").join("");
}
