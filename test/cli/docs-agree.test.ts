import { expect, test } from "bun:test";
import { helpText } from "../../src/cli/help.ts";
import { COMMANDS } from "../../src/cli/args.ts";
import { SETTINGS } from "../../src/config/settings.ts";

const readme = await Bun.file(new URL("../../README.md", import.meta.url)).text();

test.each(SETTINGS.map((setting) => [setting.env, setting.default] as const))("README and --help both document %s", (env) => {
  expect(readme).toContain(env);
  expect(helpText("test")).toContain(env);
});

test.each(COMMANDS.filter((command) => command !== "help"))("README and --help both document the %s command", (command) => {
  expect(readme).toContain(`\`${command}`);
  expect(helpText("test")).toContain(`  ${command}`);
});
