import { Appliance } from "../appliance.ts";
import type { Config } from "../config/config.ts";
import { ConfigError } from "../config/load.ts";
import { listen } from "../http/server.ts";
import { errorMessage } from "../system/error-message.ts";
import type { Logger } from "../system/log.ts";
import { LogOutput } from "../system/log-output.ts";
import { startReaper } from "../system/reaper.ts";
import { onReopenSignal, watchShutdownSignals } from "../system/signals.ts";

/**
 * `bamboo serve`: runs until SIGTERM/SIGINT, then stops in order: /status turns 503 at
 * once, the drain period lets load balancers in front move away, HAProxy stops gracefully
 * (bounded by HAPROXY_HARD_STOP_AFTER), and the process exits 0. A second signal hurries.
 */
export async function serveCommand(config: Config, warnings: readonly string[], options: { version: string; logFile?: string }): Promise<number> {
  const output = await LogOutput.open({ level: config.bamboo.logLevel, format: config.bamboo.logFormat, file: options.logFile }).catch((error: unknown) => {
    throw new ConfigError([`--log: ${errorMessage(error)}`]);
  });
  output.log.debug("log destinations", { level: config.bamboo.logLevel, stderr: output.formats.stderr, file: options.logFile, fileFormat: output.formats.file });
  // Only with a file to reopen: otherwise SIGHUP keeps its usual meaning (a closed terminal ends bamboo).
  const stopReopening = options.logFile === undefined ? () => {} : onReopenSignal(() => void output.reopen());
  try {
    return await serve(config, warnings, options.version, output.log);
  } catch (error) {
    // Once the log is open, even a failed start is a line in the configured format.
    output.log.error("bamboo stopped on an error", { error });
    return 1;
  } finally {
    stopReopening();
    await output.close();
  }
}

async function serve(config: Config, warnings: readonly string[], version: string, log: Logger): Promise<number> {
  // First, before anything is spawned: as PID 1 in a container, orphans are ours to reap.
  const reaper = startReaper({ log });
  const shutdown = watchShutdownSignals();
  for (const warning of warnings) log.warn(warning);

  const appliance = await Appliance.create(config, log, version);
  await appliance.start();
  const server = listen(
    {
      store: appliance.store,
      certificateStore: appliance.certificateStore,
      aclChecker: appliance.aclChecker,
      policy: appliance.aclPolicy,
      parseRule: appliance.parseRule,
      credentials: appliance.credentials,
      view: appliance,
      overview: appliance.overview,
      traffic: appliance.traffic,
      statsPageSocket: appliance.paths.statsPageSocket,
      log,
    },
    { hostname: config.bamboo.bind.host, port: config.bamboo.bind.port },
  );
  log.info("bamboo started", { version, api: `http://${server.hostname}:${server.port}`, marathon: config.marathon.endpoints.join(",") });

  const reason = await Promise.race([shutdown.requested.then((signal) => ({ signal })), appliance.fatal().then((fatal) => ({ fatal }))]);
  if ("fatal" in reason) {
    // On Marathon the old instances keep serving while this one fails its deployment.
    log.error("stopping: HAProxy refuses the config for the current apps, no app is to blame and no good config runs to fall back on", { error: reason.fatal });
    await appliance.stop({ now: true });
    server.stop(true);
    shutdown.dispose();
    reaper.stop();
    return 1;
  }
  const { signal } = reason;
  appliance.drain();
  log.info("stopping: /status answers 503 while load balancers move away", { signal, drainMs: config.bamboo.drainPeriodMs });
  let hurried = false;
  void shutdown.hurried.then((second) => {
    hurried = true;
    log.warn("second signal: stopping now", { signal: second });
    appliance.hurry();
  });
  await Promise.race([Bun.sleep(config.bamboo.drainPeriodMs), shutdown.hurried]);
  await appliance.stop({ now: hurried });
  server.stop(true);
  shutdown.dispose();
  reaper.stop();
  log.info("bamboo stopped");
  return 0;
}
