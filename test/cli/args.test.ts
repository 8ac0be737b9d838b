import { expect, test } from "bun:test";
import { parseArgs } from "../../src/cli/args.ts";

test.each([
  [[], { command: "serve", positional: [] }],
  [["-config", "a.json", "-bind", ":9000"], { command: "serve", configFile: "a.json", bind: ":9000", positional: [] }],
  [["--config=a.json", "render"], { command: "render", configFile: "a.json", positional: [] }],
  [["--help"], { command: "help", positional: [] }],
  [["version"], { command: "version", positional: [] }],
  [["-log", "/tmp/b.log"], { command: "serve", logFile: "/tmp/b.log", positional: [] }],
  [["render", "--apps", "apps.json", "--services=services.json"], { command: "render", appsFile: "apps.json", servicesFile: "services.json", positional: [] }],
])("parses %p", (argv, expected) => {
  expect(parseArgs(argv)).toEqual({ ok: true, args: expected as never });
});

test.each([
  [["--nope"], "unknown flag --nope"],
  [["--config"], "flag --config needs a value"],
  [["launch"], "unknown command 'launch'"],
])("refuses %p", (argv, message) => {
  const parsed = parseArgs(argv);
  expect(parsed.ok).toBe(false);
  if (!parsed.ok) expect(parsed.message).toContain(message);
});
