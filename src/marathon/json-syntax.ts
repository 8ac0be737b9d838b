/**
 * A strict, incremental JSON syntax checker (RFC 8259) over UTF-8 bytes, fed as they arrive.
 * It refuses garbage at its first invalid byte, before the garbage is buffered, and bounds
 * nesting, so JSON.parse only ever sees a complete document of sane depth: 50 MB of `[`
 * once took JSON.parse to 5.8 GB. It builds no values; it only says whether the bytes so far
 * can still be JSON, and where they stopped being so, and (on request) where each element of
 * one top-level array starts and ends, so a reader can parse them one at a time.
 */

/** Where the input stopped being JSON, and why. */
export interface JsonSyntaxError {
  /** Offset of the offending byte (or of the end, for input that stops early), from 0. */
  readonly offset: number;
  readonly message: string;
}

export interface JsonSyntaxOptions {
  /** Most containers open at once; one more is an error. */
  readonly maxDepth: number;
  /** The document must be an object (what every Marathon endpoint bamboo reads answers). */
  readonly objectOnly: boolean;
  /**
   * Reports the elements of the array at this key of the top-level object (`apps`): each one's
   * byte range, [start, end), as soon as its last byte is checked. Only the checked bytes of a
   * whole element are reported; whether the document as a whole is JSON is known at {@link JsonSyntaxChecker.end}.
   */
  readonly elementsOf?: { readonly key: string; readonly element: (start: number, end: number) => void };
}

// Where the checker is; the number states are named after what was read last.
const START = 0;
const VALUE = 1;
const ARRAY_FIRST = 2;
const OBJECT_FIRST = 3;
const KEY = 4;
const COLON = 5;
const AFTER = 6;
const DONE = 7;
const STRING = 8;
const ESCAPE = 9;
const UNICODE = 10;
const UTF8 = 11;
const MINUS = 12;
const ZERO = 13;
const INT = 14;
const DOT = 15;
const FRAC = 16;
const EXP_MARK = 17;
const EXP_SIGN = 18;
const EXP = 19;
const LITERAL = 20;

const OBJECT = 1;
const ARRAY = 2;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const LITERALS: Readonly<Record<number, string>> = { 0x74: "true", 0x66: "false", 0x6e: "null" };

/** Bytes allowed after a backslash: " \ / b f n r t (u is handled apart). */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

/** A top-level key longer than this is not the one split: only the start of each is kept for comparing. */
const MAX_SPLIT_KEY = 64;

export class JsonSyntaxChecker {
  readonly #options: JsonSyntaxOptions;
  readonly #stack: Uint8Array;
  #depth = 0;
  #state = START;
  #offset = 0;
  #error: JsonSyntaxError | null = null;
  /** The string being read is an object key (a ':' follows it). */
  #key = false;
  #hexLeft = 0;
  /** UTF-8 continuation bytes still expected, and the range the next one must be in. */
  #utf8Left = 0;
  #utf8Low = 0x80;
  #utf8High = 0xbf;
  #literal = "";
  #literalAt = 0;
  /** The split key's bytes; the bytes of the top-level key being read, while one is (else null). */
  readonly #splitKey: Uint8Array | null;
  #topKey: number[] | null = null;
  /** The last top-level key read was the split key; its array is open; where its current element started (-1: none). */
  #afterSplitKey = false;
  #splitting = false;
  #elementStart = -1;

  constructor(options: JsonSyntaxOptions) {
    this.#options = options;
    this.#stack = new Uint8Array(options.maxDepth);
    this.#splitKey = options.elementsOf ? new TextEncoder().encode(options.elementsOf.key) : null;
  }

  /** Checks the next bytes; null while they can still be the start of a JSON document, else the first error (it stays). */
  feed(bytes: Uint8Array): JsonSyntaxError | null {
    if (this.#error !== null) return this.#error;
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      if (this.#state === STRING) {
        // The bulk of a Marathon answer is string content: skip plain ASCII without the full step.
        const from = i;
        let b = bytes[i]!;
        while (b >= 0x20 && b < 0x80 && b !== QUOTE && b !== BACKSLASH && ++i < n) b = bytes[i]!;
        if (this.#topKey !== null) this.#keepKeyBytes(bytes, from, i);
        if (i === n) break;
      }
      const b = bytes[i]!;
      const again = this.#step(b, this.#offset + i);
      if (this.#error !== null) return this.#error;
      // A number ends at the first byte that is not part of it; that byte is read again as what follows.
      if (!again) i++;
    }
    this.#offset += n;
    return null;
  }

  /** The input ended: null when everything fed was exactly one JSON document. */
  end(): JsonSyntaxError | null {
    if (this.#error !== null) return this.#error;
    if (this.#state === DONE) return null;
    if (this.#depth === 0 && isCompleteNumber(this.#state)) return null;
    const what = this.#state === START ? "is empty" : "ends before the JSON is complete";
    this.#fail(this.#offset, `${what} (at byte ${this.#offset})`);
    return this.#error;
  }

  /** Reads one byte; true when the byte ended a number and must be read again in the new state. */
  #step(b: number, at: number): boolean {
    switch (this.#state) {
      case START:
        if (isSpace(b)) return false;
        if (this.#options.objectOnly && b !== 0x7b) return this.#unexpected(b, at, "'{' (the answer must be a JSON object)");
        return this.#value(b, at, "a JSON value");
      case VALUE:
        if (isSpace(b)) return false;
        return this.#value(b, at, "a value");
      case ARRAY_FIRST:
        if (isSpace(b)) return false;
        if (b === 0x5d) return this.#close(at + 1);
        return this.#value(b, at, "a value or ']'");
      case OBJECT_FIRST:
        if (isSpace(b)) return false;
        if (b === 0x7d) return this.#close(at + 1);
        if (b !== QUOTE) return this.#unexpected(b, at, "a key in double quotes or '}'");
        return this.#string(true);
      case KEY:
        if (isSpace(b)) return false;
        if (b !== QUOTE) return this.#unexpected(b, at, "a key in double quotes");
        return this.#string(true);
      case COLON:
        if (isSpace(b)) return false;
        if (b !== 0x3a) return this.#unexpected(b, at, "':'");
        this.#state = VALUE;
        return false;
      case AFTER: {
        if (isSpace(b)) return false;
        const inObject = this.#stack[this.#depth - 1] === OBJECT;
        if (b === 0x2c) {
          this.#state = inObject ? KEY : VALUE;
          return false;
        }
        if (b === (inObject ? 0x7d : 0x5d)) return this.#close(at + 1);
        return this.#unexpected(b, at, inObject ? "',' or '}'" : "',' or ']'");
      }
      case DONE:
        if (isSpace(b)) return false;
        return this.#unexpected(b, at, "nothing after the end of the JSON");
      case STRING:
        if (b === QUOTE) {
          if (this.#key) this.#keyDone();
          else this.#valueDone(at + 1);
        } else if (b === BACKSLASH) {
          // A key with an escape or a non-ASCII byte is never the split key: Marathon writes `apps` plainly.
          this.#topKey = null;
          this.#state = ESCAPE;
        }
        else if (b < 0x20) this.#unexpected(b, at, "no control character in a string (they must be escaped)");
        else if (b >= 0x80) {
          this.#topKey = null;
          this.#utf8Lead(b, at);
        }
        return false;
      case ESCAPE:
        if (b === 0x75) {
          this.#state = UNICODE;
          this.#hexLeft = 4;
        } else if (SIMPLE_ESCAPES.has(b)) this.#state = STRING;
        else this.#unexpected(b, at, "an escape: one of \" \\ / b f n r t u");
        return false;
      case UNICODE:
        if (!isHex(b)) return this.#unexpected(b, at, "a hex digit");
        if (--this.#hexLeft === 0) this.#state = STRING;
        return false;
      case UTF8:
        if (b < this.#utf8Low || b > this.#utf8High) return this.#fail(at, `invalid UTF-8 at byte ${at}`);
        this.#utf8Low = 0x80;
        this.#utf8High = 0xbf;
        if (--this.#utf8Left === 0) this.#state = STRING;
        return false;
      case MINUS:
        if (b === 0x30) this.#state = ZERO;
        else if (isDigit(b)) this.#state = INT;
        else this.#unexpected(b, at, "a digit");
        return false;
      case ZERO:
      case INT:
        if (isDigit(b)) {
          if (this.#state === ZERO) return this.#fail(at, `unexpected ${describeByte(b)} at byte ${at}: a number cannot have a leading zero`);
          return false;
        }
        if (b === 0x2e) this.#state = DOT;
        else if (b === 0x65 || b === 0x45) this.#state = EXP_MARK;
        else return this.#numberDone(at);
        return false;
      case DOT:
        if (!isDigit(b)) return this.#unexpected(b, at, "a digit after '.'");
        this.#state = FRAC;
        return false;
      case FRAC:
        if (isDigit(b)) return false;
        if (b === 0x65 || b === 0x45) {
          this.#state = EXP_MARK;
          return false;
        }
        return this.#numberDone(at);
      case EXP_MARK:
        if (b === 0x2b || b === 0x2d) this.#state = EXP_SIGN;
        else if (isDigit(b)) this.#state = EXP;
        else this.#unexpected(b, at, "a digit or a sign in the exponent");
        return false;
      case EXP_SIGN:
        if (!isDigit(b)) return this.#unexpected(b, at, "a digit in the exponent");
        this.#state = EXP;
        return false;
      case EXP:
        if (isDigit(b)) return false;
        return this.#numberDone(at);
      default: {
        // LITERAL, the one state left: inside true, false or null.
        const want = this.#literal.charCodeAt(this.#literalAt);
        if (b !== want) return this.#unexpected(b, at, `'${this.#literal[this.#literalAt]}' of ${this.#literal}`);
        if (++this.#literalAt === this.#literal.length) this.#valueDone(at + 1);
        return false;
      }
    }
  }

  /** The first byte of a value. */
  #value(b: number, at: number, expected: string): boolean {
    if (this.#splitting && this.#depth === 2) this.#elementStart = at;
    else if (this.#depth === 1) {
      this.#splitting = this.#afterSplitKey && b === 0x5b;
      this.#afterSplitKey = false;
    }
    if (b === 0x7b || b === 0x5b) {
      if (this.#depth === this.#options.maxDepth) return this.#fail(at, `nesting deeper than ${this.#options.maxDepth} at byte ${at}`);
      this.#stack[this.#depth++] = b === 0x7b ? OBJECT : ARRAY;
      this.#state = b === 0x7b ? OBJECT_FIRST : ARRAY_FIRST;
      return false;
    }
    if (b === QUOTE) return this.#string(false);
    if (b === 0x2d) this.#state = MINUS;
    else if (b === 0x30) this.#state = ZERO;
    else if (isDigit(b)) this.#state = INT;
    else if (b in LITERALS) {
      this.#literal = LITERALS[b];
      this.#literalAt = 1;
      this.#state = LITERAL;
    } else return this.#unexpected(b, at, expected);
    return false;
  }

  #string(key: boolean): boolean {
    this.#key = key;
    this.#state = STRING;
    if (key && this.#depth === 1 && this.#splitKey !== null) this.#topKey = [];
    return false;
  }

  /** `end` is the offset just past the value that ended. */
  #close(end: number): boolean {
    this.#depth--;
    if (this.#depth === 1) this.#splitting = false;
    this.#valueDone(end);
    return false;
  }

  /** A number ends at the byte after it, `end`, which is read again. */
  #numberDone(end: number): boolean {
    this.#valueDone(end);
    return true;
  }

  #valueDone(end: number): void {
    this.#state = this.#depth === 0 ? DONE : AFTER;
    if (this.#elementStart >= 0 && this.#depth === 2) {
      const start = this.#elementStart;
      this.#elementStart = -1;
      this.#options.elementsOf!.element(start, end);
    }
  }

  #keyDone(): void {
    this.#state = COLON;
    const key = this.#topKey;
    this.#topKey = null;
    this.#afterSplitKey = false;
    if (key === null) return;
    const wanted = this.#splitKey!;
    this.#afterSplitKey = key.length === wanted.length && key.every((byte, i) => byte === wanted[i]);
  }

  /** Bytes of a top-level key, as they are read: enough of them to compare with the split key. */
  #keepKeyBytes(bytes: Uint8Array, from: number, to: number): void {
    const key = this.#topKey!;
    for (let i = from; i < to && key.length <= MAX_SPLIT_KEY; i++) key.push(bytes[i]!);
  }

  #utf8Lead(b: number, at: number): void {
    let left = 0;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) left = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      left = 2;
      // No overlong forms (E0 80..9F) and no UTF-16 surrogates (ED A0..BF).
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      left = 3;
      // No overlong forms (F0 80..8F) and nothing past U+10FFFF (F4 90..).
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else {
      this.#fail(at, `invalid UTF-8 at byte ${at}`);
      return;
    }
    this.#utf8Left = left;
    this.#utf8Low = low;
    this.#utf8High = high;
    this.#state = UTF8;
  }

  #unexpected(b: number, at: number, expected: string): boolean {
    return this.#fail(at, `unexpected ${describeByte(b)} at byte ${at}, expected ${expected}`);
  }

  /** Records the first error; false so a step can end with it. */
  #fail(offset: number, message: string): false {
    this.#error = { offset, message };
    return false;
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function isHex(b: number): boolean {
  return isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);
}

/** A number state the number may end in (a top-level number ends with the input). */
function isCompleteNumber(state: number): boolean {
  return state === ZERO || state === INT || state === FRAC || state === EXP;
}

/** `'x'` for printable ASCII, else the byte in hex: a message must not carry control characters. */
function describeByte(b: number): string {
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, "0")}`;
}
