/**
 * One empty list for every kept value that has none. Values kept per app or per rule are kept
 * by the thousand, and an empty array still costs 64 bytes: at 10,000 apps, 0.6 MB for each
 * such field that says nothing (issue 16).
 */
export const NONE: readonly never[] = Object.freeze([]);

/** `list`, or {@link NONE} when it is empty. */
export function orNone<T>(list: readonly T[]): readonly T[] {
  return list.length === 0 ? NONE : list;
}
