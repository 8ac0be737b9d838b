import { expect, test } from "bun:test";
import { COMMANDS, FLAGS } from "../../src/cli/args.ts";
import { COMMAND_DOCS, commandHelpText, FLAG_DOCS, helpText } from "../../src/cli/help.ts";
import { SETTINGS } from "../../src/config/settings.ts";
import { POLICY_WORDS } from "../../src/routing/acl/policy.ts";

const readme = await Bun.file(new URL("../../README.md", import.meta.url)).text();
/** README prose wraps lines; compare with every run of whitespace as one space. */
const flatReadme = readme.replace(/\s+/g, " ");
const help = helpText("test");
/** The settings table row naming a variable (two related settings may share one). */
const rowOf = (env: string) => readme.split("\n").find((line) => line.startsWith("|") && line.includes(`\`${env}\``)) ?? "";

test.each(SETTINGS.map((setting) => [setting.env, setting] as const))("README's table and --help agree on %s: name, file key and default", (env, setting) => {
  const row = rowOf(env);
  expect(row).not.toBe("");
  const lastKey = setting.file.slice(setting.file.lastIndexOf("."));
  expect(row.includes(`\`${setting.file}\``) || row.includes(`${lastKey}\``)).toBe(true);
  if (setting.default !== "") expect(row).toContain(setting.default);
  expect(help).toContain(env);
  expect(help).toContain(`file key ${setting.file}; default ${setting.default === "" ? "(empty)" : setting.default}`);
});

test.each(COMMANDS.filter((command) => command !== "help"))("README and --help both show how %s is typed", (command) => {
  const usage = COMMAND_DOCS[command].usage;
  expect(flatReadme).toContain(`\`${usage}\``);
  expect(help).toContain(`  ${usage}`);
  expect(commandHelpText(command)).toContain(`Usage: bamboo ${usage}`);
});

test.each([...FLAGS])("README and --help both document --%s", (flag) => {
  expect(flatReadme).toContain(`\`${FLAG_DOCS[flag].usage}`);
  expect(help).toContain(FLAG_DOCS[flag].usage);
});

test.each([...POLICY_WORDS])("README and --help both list the ACL policy word %s", (word) => {
  expect(rowOf("BAMBOO_ACL_POLICY")).toContain(`\`${word}\``);
  const setting = SETTINGS.find((s) => s.env === "BAMBOO_ACL_POLICY")!;
  expect(setting.help).toMatch(new RegExp(`\\b${word}\\b`));
});

test("a command's --help lists exactly the flags it takes", () => {
  expect(commandHelpText("render")).toContain("--apps FILE");
  expect(commandHelpText("render")).not.toContain("--bind");
  expect(commandHelpText("serve")).toContain("--bind ADDR");
});
