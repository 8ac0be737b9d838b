import { expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config/load.ts";

const problemsOf = (run: () => unknown): readonly string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

test("by default bamboo logs info and above, in the format its stderr suits", () => {
  const { bamboo } = loadConfig({ env: {} }).config;
  expect([bamboo.logLevel, bamboo.logFormat]).toEqual(["info", "auto"]);
});

test.each([
  ["the environment", { env: { BAMBOO_LOG_LEVEL: "debug", BAMBOO_LOG_FORMAT: "json" } }, ["debug", "json"]],
  ["the config file's keys", { env: {}, file: { Bamboo: { LogLevel: "warn", LogFormat: "text" } } }, ["warn", "text"]],
  ["any case, as operators type it", { env: { BAMBOO_LOG_LEVEL: "ERROR", BAMBOO_LOG_FORMAT: " Json " } }, ["error", "json"]],
  ["the environment over the file", { env: { BAMBOO_LOG_LEVEL: "debug" }, file: { bamboo: { loglevel: "error" } } }, ["debug", "auto"]],
] as const)("level and format come from %s", (_name, sources, expected) => {
  const { bamboo } = loadConfig(sources).config;
  expect([bamboo.logLevel, bamboo.logFormat]).toEqual([...expected]);
});

test.each([
  ["a level", { env: { BAMBOO_LOG_LEVEL: "verbose" } }, "BAMBOO_LOG_LEVEL='verbose': expected one of debug, info, warn, error"],
  ["a format", { env: { BAMBOO_LOG_FORMAT: "logfmt" } }, "BAMBOO_LOG_FORMAT='logfmt': expected one of auto, text, json"],
  ["a file key", { env: {}, file: { Bamboo: { LogLevel: "trace" } }, fileName: "bamboo.json" }, "Bamboo.LogLevel in bamboo.json='trace': expected one of debug, info, warn, error"],
] as const)("an invalid value (%s) names the setting and what is allowed", (_name, sources, problem) => {
  expect(problemsOf(() => loadConfig(sources))).toEqual([problem]);
});
