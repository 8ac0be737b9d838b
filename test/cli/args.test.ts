import { expect, test } from "bun:test";
import { parseArgs } from "../../src/cli/args.ts";

test.each([
  [[], { command: "serve", help: false, positional: [] }],
  [["-config", "a.json", "-bind", ":9000"], { command: "serve", help: false, configFile: "a.json", bind: ":9000", positional: [] }],
  [["--config=a.json", "render"], { command: "render", help: false, configFile: "a.json", positional: [] }],
  [["--help"], { command: "help", help: false, positional: [] }],
  [["-h"], { command: "help", help: false, positional: [] }],
  [["--version"], { command: "version", help: false, positional: [] }],
  [["version"], { command: "version", help: false, positional: [] }],
  [["render", "--help"], { command: "render", help: true, positional: [] }],
  [["-log", "/tmp/b.log"], { command: "serve", help: false, logFile: "/tmp/b.log", positional: [] }],
  [["render", "--apps", "apps.json", "--services=services.json"], { command: "render", help: false, appsFile: "apps.json", servicesFile: "services.json", positional: [] }],
  [["sanitize-id", "--", "--edge--case--"], { command: "sanitize-id", help: false, positional: ["--edge--case--"] }],
  [["check-rule", "--", "/a", "-m found"], { command: "check-rule", help: false, positional: ["/a", "-m found"] }],
  [["sanitize-id", "--", "--", "-h"], { command: "sanitize-id", help: false, positional: ["--", "-h"] }],
])("parses %p", (argv, expected) => {
  expect(parseArgs(argv)).toEqual({ ok: true, args: expected as never });
});

test.each([
  [["--nope"], "unknown flag --nope"],
  [["--config"], "flag --config needs a value"],
  [["launch"], "unknown command 'launch'"],
  [["sanitize-id", "--edge--case--"], "unknown flag --edge--case--"],
  [["render", "--bind", ":1"], "flag --bind does not apply to render"],
  [["--apps", "a.json"], "flag --apps does not apply to serve"],
])("refuses %p", (argv, message) => {
  const parsed = parseArgs(argv);
  expect(parsed.ok).toBe(false);
  if (!parsed.ok) expect(parsed.message).toContain(message);
});
