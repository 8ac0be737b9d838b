import { expect, test } from "bun:test";
import fc from "fast-check";
import { jsonPieces, jsonStreamResponse } from "../../src/http/json-stream.ts";

function allPieces(value: unknown, depth: number): string[] {
  const next = jsonPieces(value, depth);
  const pieces: string[] = [];
  for (let piece = next(); piece !== undefined; piece = next()) pieces.push(piece);
  return pieces;
}

test("the pieces are JSON.stringify's text, at every depth", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (value, depth) => {
      expect(allPieces(value, depth).join("")).toBe(JSON.stringify(value));
    }),
    { numRuns: 500, seed: 16 },
  );
});

test("down to the depth each item is a piece of its own; below it, one JSON.stringify", () => {
  expect(allPieces({ a: [1, { b: 2 }], c: "x" }, 2)).toEqual(["{", '"a":[', "1", ',{"b":2}', "]", ',"c":"x"', "}"]);
  expect(allPieces([], 2)).toEqual(["[", "]"]);
  expect(allPieces({ a: 1 }, 0)).toEqual(['{"a":1}']);
});

test("undefined, functions and Dates are written as JSON.stringify writes them", () => {
  const value = { a: undefined, b: [undefined, () => 1, 2], c: new Date(0), d: { e: undefined, f: "x" } };
  expect(allPieces(value, 3).join("")).toBe(JSON.stringify(value));
});

test("an object's toJSON is what is written, walked to the depth like any value", () => {
  class Computed {
    constructor(readonly id: string) {}
    get derived(): string[] {
      return this.id.split("/");
    }
    toJSON() {
      return { id: this.id, derived: this.derived, nested: { at: new Date(0) } };
    }
  }
  const value = { Apps: [new Computed("/a/b"), new Computed("/c")], Routes: [new Computed("/c")] };
  for (const depth of [0, 1, 2, 3, 4]) expect(allPieces(value, depth).join("")).toBe(JSON.stringify(value));
  expect(allPieces(value, 3)).toContain(',"derived":["","a","b"]');
});

test("a large answer streams in chunks and reads back whole", async () => {
  const value = { Apps: Array.from({ length: 5_000 }, (_, i) => ({ Id: `/app-${i}`, Env: { A: "x".repeat(40) } })) };
  const response = jsonStreamResponse(value);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  const reader = response.body!.getReader();
  let chunks = 0;
  let text = "";
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value: bytes } = await reader.read();
    if (done) break;
    chunks++;
    text += decoder.decode(bytes, { stream: true });
  }
  expect(chunks).toBeGreaterThan(3);
  expect(text).toBe(JSON.stringify(value));
});
