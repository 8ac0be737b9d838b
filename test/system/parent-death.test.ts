import { describe, expect, test } from "bun:test";
import { parentDeathPrefix } from "../../src/system/parent-death.ts";

describe("parentDeathPrefix", () => {
  test("setpriv sets the signal, then execs the program", () => {
    expect(parentDeathPrefix("SIGUSR1", () => "/usr/bin/setpriv")).toEqual(["/usr/bin/setpriv", "--pdeathsig", "SIGUSR1", "--"]);
  });
  test("without setpriv there is none", () => {
    expect(parentDeathPrefix("SIGUSR1", () => null)).toBeNull();
  });
});
