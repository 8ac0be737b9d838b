import type { Config } from "../config/config.ts";
import type { RuntimePaths } from "../config/paths.ts";
import { Compiler, type Compiled } from "../compile/compiler.ts";
import type { RoutingProblem } from "../compile/problems.ts";
import { AclChecker } from "../haproxy/acl-check.ts";
import type { RenderConfig } from "../haproxy/template.ts";
import { templateSettings } from "../haproxy/template-settings.ts";
import type { App } from "../marathon/types.ts";
import { compileOptionsOf } from "../compile/options.ts";
import { isPlainKeyRule } from "../routing/route-maps.ts";
import type { Service } from "../store/types.ts";
import { HostResolver } from "../sync/host-resolver.ts";
import { OutsideAnswerSource } from "../sync/outside-answers.ts";

/**
 * The config serve would start with for these apps and rules: HAProxy is asked about the
 * rules and DNS about the agents, as serve asks them, and the result compiled afresh.
 */
export async function compileOnce(config: Config, paths: RuntimePaths, render: RenderConfig, snapshot: { readonly apps: readonly App[]; readonly services: readonly Service[] }): Promise<Compiled> {
  const answers = await new OutsideAnswerSource({ aclChecker: new AclChecker(config.haproxy.bin, { trusted: isPlainKeyRule }), resolver: new HostResolver() }).answersFor(snapshot);
  return new Compiler(render, templateSettings(config, paths), compileOptionsOf(config)).compile({ ...snapshot, answers, previous: null });
}

/** What is not routed as written, one warning line each on stderr. */
export function warnAbout(problems: readonly RoutingProblem[]): void {
  for (const problem of problems) console.error(`warning: ${problem.id === "" ? "" : `${problem.id}: `}${problem.message}`);
}
