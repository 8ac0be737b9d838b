import { describe, expect, test } from "bun:test";
import { NONE, orNone } from "../../src/system/none.ts";

describe("orNone", () => {
  test("an empty list becomes the one shared empty list, which cannot be changed", () => {
    expect(orNone([])).toBe(NONE);
    expect(orNone(new Array<string>())).toBe(NONE);
    expect(Object.isFrozen(NONE)).toBe(true);
  });

  test("a list with items is handed back as it is", () => {
    const list = ["a"];
    expect(orNone(list)).toBe(list);
  });
});
