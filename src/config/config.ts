import type { BindAddress } from "./parse.ts";

/** One validated, frozen configuration; built by {@link loadConfig} and nothing else. */
export interface Config {
  readonly marathon: {
    readonly endpoints: readonly string[];
    readonly user: string;
    readonly password: string;
    readonly authToken: string;
    readonly caCertPath: string;
    readonly useEventStream: boolean;
    readonly streamTimeoutMs: number;
    readonly resyncIntervalMs: number;
    readonly requestTimeoutMs: number;
  };
  readonly bamboo: {
    readonly endpoint: string;
    readonly bind: BindAddress;
    readonly dataDir: string;
    readonly apiUser: string;
    readonly apiPassword: string;
  };
  readonly zookeeper: {
    /** Empty: the file store is used. */
    readonly hosts: readonly string[];
    readonly path: string;
    readonly auth: string;
  };
  readonly haproxy: {
    readonly bin: string;
    /** "" selects the embedded default template. */
    readonly templatePath: string;
    readonly outputPath: string;
    readonly httpBind: BindAddress;
    readonly timeoutConnectMs: number;
    readonly timeoutClientMs: number;
    readonly timeoutServerMs: number;
    readonly timeoutTunnelMs: number;
    readonly reloadIntervalMs: number;
    readonly hardStopAfterMs: number;
  };
}
