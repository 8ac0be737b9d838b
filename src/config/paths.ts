import type { Config } from "./config.ts";

/** Every file and socket bamboo creates, derived in one place from the configuration. */
export interface RuntimePaths {
  readonly dataDir: string;
  readonly haproxyConfig: string;
  /** Master CLI of the master-worker HAProxy (reload, show proc). */
  readonly masterSocket: string;
  /** Runtime API (stats socket) of the workers. */
  readonly statsSocket: string;
  /** HTTP stats page, reachable only through bamboo's /haproxy_stats. */
  readonly statsPageSocket: string;
  readonly serverStateFile: string;
  /** HAProxy's map files for the frontend's lookups (routing/route-maps.ts). */
  readonly mapDir: string;
  /** The certificates HAProxy serves, its crt-list and default certificate, readable by bamboo's user only. */
  readonly haproxyCertDir: string;
  readonly crtList: string;
  readonly defaultCertificate: string;
  /** The self-signed default certificate bamboo made, kept so every restart serves the same. */
  readonly generatedDefaultCertificate: string;
  readonly pidFile: string;
  /** File store of services when no ZooKeeper is configured. */
  readonly servicesFile: string;
  /** Last services seen in ZooKeeper, to route with while ZooKeeper is unreachable. */
  readonly servicesSnapshot: string;
}

export function runtimePaths(config: Config): RuntimePaths {
  const dir = config.bamboo.dataDir.replace(/\/+$/, "");
  return {
    dataDir: dir,
    haproxyConfig: config.haproxy.outputPath,
    masterSocket: `${dir}/haproxy-master.sock`,
    statsSocket: `${dir}/haproxy-stats.sock`,
    statsPageSocket: `${dir}/haproxy-stats-page.sock`,
    serverStateFile: `${dir}/haproxy-server-state`,
    mapDir: `${dir}/maps`,
    haproxyCertDir: `${dir}/haproxy-certs`,
    crtList: `${dir}/haproxy-certs/crt-list`,
    defaultCertificate: `${dir}/haproxy-certs/default.pem`,
    generatedDefaultCertificate: `${dir}/default-certificate.pem`,
    pidFile: `${dir}/haproxy.pid`,
    servicesFile: `${dir}/services.json`,
    servicesSnapshot: `${dir}/zookeeper-services.json`,
  };
}
