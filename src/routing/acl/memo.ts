import { parseAcl, type ParseResult } from "./parse.ts";

/** More distinct rule texts than any installation stores: past it a memo starts over. */
const DEFAULT_MAX_TEXTS = 50_000;

/**
 * A pure function of a rule's text, remembered by text. Every stored rule is read again
 * whenever one changes (ranked for the frontend, compared with a new rule, checked for map
 * keys): with 10,000 rules, reading them all again costs a write tens of milliseconds.
 * Bounded; each call makes a memo of its own, for one owner.
 *
 * @example const parse = memoByText(parseAcl); parse("path_beg /a") === parse("path_beg /a") // true
 */
export function memoByText<T>(compute: (text: string) => T, maxTexts = DEFAULT_MAX_TEXTS): (text: string) => T {
  const byText = new Map<string, T>();
  return (text) => {
    // One lookup, not has() then get(): this runs for every stored rule on every write.
    const known = byText.get(text);
    if (known !== undefined || byText.has(text)) return known as T;
    if (byText.size >= maxTexts) byText.clear();
    const value = compute(text);
    byText.set(text, value);
    return value;
  };
}

/**
 * A pure function of an object, remembered while the object lives: what is derived from a
 * parsed rule (its precedence, the map that serves it), which a memo of the parser hands
 * out as the same object for the same text.
 */
export function memoByObject<K extends object, T>(compute: (key: K) => T): (key: K) => T {
  const byObject = new WeakMap<K, T>();
  return (key) => {
    if (byObject.has(key)) return byObject.get(key)!;
    const value = compute(key);
    byObject.set(key, value);
    return value;
  };
}

/** Parses rule texts, each once while it is remembered: see {@link ruleParser}. */
export type RuleParser = (text: string) => ParseResult;

/**
 * A memo of {@link parseAcl}. An appliance makes one and hands it to every reader of the
 * stored rules (the compile, the API's write checks): each kept its own, and at 10,000 rules
 * each copy held 10,000 parsed rules and their index, about 3 MB.
 */
export function ruleParser(): RuleParser {
  return memoByText(parseAcl);
}
