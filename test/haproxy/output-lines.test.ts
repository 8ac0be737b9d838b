import { describe, expect, test } from "bun:test";
import { causeAlerts, haproxyAlerts, parseHAProxyLine } from "../../src/haproxy/output-lines.ts";

describe("parseHAProxyLine", () => {
  test.each([
    ["[ALERT]    (1234) : config : parsing [/d/haproxy.cfg:12] : unknown keyword 'x'", "alert", "parsing [/d/haproxy.cfg:12] : unknown keyword 'x'"],
    ["[WARNING]  (99) : Proxy app stopped", "warning", "Proxy app stopped"],
    ["[NOTICE]   (1) : haproxy version is 2.6.12", "notice", "haproxy version is 2.6.12"],
    ["[ALERT] : no pid here", "alert", "no pid here"],
    ["  plain text  ", "other", "plain text"],
  ])("%s", (line, level, text) => {
    expect(parseHAProxyLine(line)).toEqual({ level: level as ReturnType<typeof parseHAProxyLine>["level"], text });
  });
});

describe("alerts that name a cause", () => {
  const output = [
    "[NOTICE]   (7) : haproxy version is 2.6.12",
    "[ALERT]    (7) : config : parsing [/d/haproxy.cfg:10] : balance only supports 'roundrobin'",
    "[ALERT]    (7) : config : Error(s) found in configuration file : /d/haproxy.cfg",
    "[ALERT]    (7) : config : Fatal errors found in configuration.",
  ].join("\n");

  test("haproxy -c's output gives the specific alerts only", () => {
    expect(haproxyAlerts(output)).toEqual(["parsing [/d/haproxy.cfg:10] : balance only supports 'roundrobin'"]);
  });

  test("generic summaries are kept only when nothing more specific was said", () => {
    expect(causeAlerts(["Loading failure!", "bind: port in use"])).toEqual(["bind: port in use"]);
    expect(causeAlerts(["Loading failure!"])).toEqual(["Loading failure!"]);
  });
});
