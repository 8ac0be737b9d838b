import type { Config } from "../config/config.ts";
import { checkedPolicy } from "../routing/acl/index.ts";
import type { CompileOptions } from "./compiler.ts";

/** What the settings decide about compiling, the same for serving and for `render`/`check`. */
export function compileOptionsOf(config: Config): CompileOptions {
  const { haproxy, bamboo } = config;
  // By port number, whatever the address: a service port on bamboo's own port would shadow it on some address.
  const reserved = new Map<number, string>([
    [bamboo.bind.port, "bamboo's API listens there (BAMBOO_BIND)"],
    [haproxy.httpsBind.port, "HTTPS listens there (HAPROXY_HTTPS_BIND)"],
    [haproxy.httpBind.port, "the HTTP frontend listens there (HAPROXY_HTTP_BIND)"],
  ]);
  return { groups: bamboo.groups, policy: checkedPolicy(bamboo.aclPolicy), servicePorts: { bind: haproxy.serviceBind, reserved } };
}
