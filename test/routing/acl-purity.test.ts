import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../../src/routing");
const FILES = [...readdirSync(join(ROOT, "acl")).map((name) => join("acl", name)), "app-id.ts"];

test.each(FILES)("%s imports nothing that does I/O", (file) => {
  const source = readFileSync(join(ROOT, file), "utf8");
  const imports = [...source.matchAll(/from\s+"([^"]+)"/g)].map((match) => match[1]!);
  expect(imports.filter((name) => !name.startsWith("./"))).toEqual([]);
  expect(source).not.toMatch(/\bBun\./);
});
