/** Minimal HAProxy configs for tests: loopback only, no daemon/user/chroot, capped maxconn. */

/** A server line of {@link testConfig}'s backend. */
export interface TestServer {
  readonly name: string;
  readonly port: number;
  /** Declared in maintenance, the way a free slot waits. */
  readonly disabled?: boolean;
}

export interface TestConfigOptions {
  readonly frontendPort: number;
  readonly statsSocket: string;
  readonly servers: readonly TestServer[];
  /**
   * A host map: when given, the frontend picks the backend by Host header through it,
   * falling back to "app".
   */
  readonly hostMap?: string;
  /** Lines appended to the backend, e.g. a deliberately broken keyword. */
  readonly backendExtra?: readonly string[];
}

/**
 * One HTTP frontend on 127.0.0.1 routing everything to one backend. `maxconn` is capped
 * because this machine's open-file limit (20,000) makes HAProxy refuse larger values.
 */
export function testConfig(options: TestConfigOptions): string {
  return [
    "global",
    "    maxconn 1000",
    `    stats socket ${options.statsSocket} level admin`,
    "    hard-stop-after 5s",
    "defaults",
    "    mode http",
    "    timeout connect 2s",
    "    timeout client 5s",
    "    timeout server 5s",
    "frontend web",
    `    bind 127.0.0.1:${options.frontendPort}`,
    ...(options.hostMap ? [`    use_backend %[req.hdr(host),lower,map_str(${options.hostMap},app)]`] : []),
    "    default_backend app",
    "backend app",
    "    balance roundrobin",
    ...options.servers.map((server) => `    server ${server.name} 127.0.0.1:${server.port}${server.disabled ? " disabled" : ""}`),
    ...(options.backendExtra ?? []),
    "",
  ].join("\n");
}
