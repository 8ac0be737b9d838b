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
