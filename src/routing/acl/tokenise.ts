/**
 * Splits an ACL criterion into words the way HAProxy's config parser does (section 2.2 of
 * its manual: whitespace separates words; `\` escapes; `"..."` weak and `'...'` strong
 * quotes; adjacent parts join into one word), but refuses every construct whose meaning
 * we cannot reproduce exactly when rendering: control characters, non-ASCII, `#`, braces,
 * escapes that make control or hex characters, and `$` inside double quotes.
 *
 * @module
 */

/** One word with its 1-based position among the words, for error messages. */
export interface Word {
  readonly text: string;
  readonly position: number;
}

export type TokeniseResult = { ok: true; words: readonly Word[] } | { ok: false; message: string };

/**
 * Splits `input` into words, or says which character cannot be accepted and why.
 *
 * @example tokenise(`hdr(host) -i 'ghost.local'`) // words: hdr(host), -i, ghost.local
 */
export function tokenise(input: string): TokeniseResult {
  const refused = refuseCharacters(input);
  if (refused) return { ok: false, message: refused };
  // Nearly every rule quotes and escapes nothing: its words are the runs between spaces. Built a
  // character at a time, 10,000 rules made 25 MB of garbage at start (issue 16).
  if (!QUOTE_OR_ESCAPE.test(input)) return { ok: true, words: plainWords(input) };

  const words: Word[] = [];
  let current = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  const finish = () => {
    if (inWord) words.push({ text: current, position: words.length + 1 });
    current = "";
    inWord = false;
  };

  for (let i = 0; i < input.length; i++) {
    const char = input[i]!;
    if (quote === "'") {
      // HAProxy interprets nothing between single quotes, not even a backslash.
      if (char === "'") quote = null;
      else current += char;
      continue;
    }
    if (char === "\\") {
      const escaped = readEscape(input, i, quote === '"');
      if (!escaped.ok) return escaped;
      current += escaped.text;
      inWord = true;
      i++;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = null;
      else if (char === "$") return { ok: false, message: `'$' inside double quotes at character ${i + 1}: HAProxy would read an environment variable there; use single quotes` };
      else current += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === " ") {
      finish();
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote) return { ok: false, message: `unterminated ${quote === "'" ? "single" : "double"} quote` };
  finish();
  return { ok: true, words };
}

const QUOTE_OR_ESCAPE = /['"\\]/;

function plainWords(input: string): Word[] {
  const words: Word[] = [];
  for (const text of input.split(" ")) if (text !== "") words.push({ text, position: words.length + 1 });
  return words;
}

/** Characters refused wherever they appear, quoted or not, with the reason. */
function refuseCharacters(input: string): string | null {
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    // Printable and harmless, as nearly all are: no message is built for them.
    if (code >= 0x20 && code <= 0x7e && code !== 0x23 && code !== 0x7b && code !== 0x7d) continue;
    const at = `at character ${i + 1}`;
    if (code < 0x20 || code === 0x7f) {
      const hex = code.toString(16).padStart(2, "0");
      return `control character 0x${hex} ${at}: a rule is one line of printable text`;
    }
    if (code > 0x7e) return `non-ASCII character '${input[i]}' ${at}: write international host names in punycode and paths percent-encoded`;
    const char = input[i]!;
    if (char === "#") return `'#' ${at}: HAProxy would read the rest of the line as a comment`;
    if (char === "{" || char === "}") return `'${char}' ${at}: braces would open or close an inline condition; regex repetition counts like {2} are not accepted either`;
  }
  return null;
}

/** Reads the escape starting at `input[index]` (a backslash), as HAProxy would outside single quotes. */
function readEscape(input: string, index: number, inDoubleQuotes: boolean): { ok: true; text: string } | { ok: false; message: string } {
  const next = input[index + 1];
  const at = `at character ${index + 1}`;
  if (next === undefined) return { ok: false, message: `a lone backslash ends the rule ${at}` };
  if (next === " " || next === "\\" || next === "'" || next === '"') return { ok: true, text: next };
  if (next === "r" || next === "n" || next === "t" || next === "x") {
    return { ok: false, message: `escape '\\${next}' ${at}: HAProxy would turn it into a control or hex-coded character, which a rule may not contain` };
  }
  if (next === "$" && inDoubleQuotes) return { ok: false, message: `'\\$' inside double quotes ${at}: use single quotes for a literal '$'` };
  // HAProxy keeps any other backslash pair as written, which is what regexes such as `\.` rely on.
  return { ok: true, text: `\\${next}` };
}

/**
 * Quotes a word so that HAProxy's parser reads back exactly `text`. Plain words stay bare;
 * others go in single quotes (nothing inside is interpreted), or, when they contain a single
 * quote themselves, are backslash-escaped.
 */
export function quoteWord(text: string): string {
  // `$`, backslashes and quotes are left out of bare words so that no HAProxy version's
  // variable expansion or escape handling can change them.
  if (text !== "" && /^[A-Za-z0-9._~:/?@!%&*+,;=()[\]^|<>-]+$/.test(text)) return text;
  if (!text.includes("'")) return `'${text}'`;
  return text.replace(/[\\ '"]/g, (char) => `\\${char}`);
}
