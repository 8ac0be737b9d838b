import { appendFileSync } from "node:fs";
import { Appliance } from "../appliance.ts";
import type { Config } from "../config/config.ts";
import { listen } from "../http/server.ts";
import { createLogger } from "../system/log.ts";
import { watchShutdownSignals } from "../system/signals.ts";

/** `bamboo serve`: runs until SIGTERM/SIGINT, then stops in order and returns 0. */
export async function serveCommand(config: Config, warnings: readonly string[], options: { version: string; logFile?: string }): Promise<number> {
  const logFile = options.logFile;
  const log = createLogger({
    write: (line) => {
      process.stderr.write(line + "\n");
      if (logFile) appendFileSync(logFile, line + "\n");
    },
  });
  const shutdown = watchShutdownSignals();
  for (const warning of warnings) log.warn(warning);

  const appliance = await Appliance.create(config, log, options.version);
  await appliance.start();
  const server = listen(
    {
      store: appliance.store,
      aclChecker: appliance.aclChecker,
      policy: config.bamboo.aclPolicy,
      credentials: appliance.credentials,
      view: appliance,
      overview: appliance.overview,
      statsPageSocket: appliance.paths.statsPageSocket,
      log,
    },
    { hostname: config.bamboo.bind.host, port: config.bamboo.bind.port },
  );
  log.info("bamboo started", { version: options.version, api: `http://${server.hostname}:${server.port}`, marathon: config.marathon.endpoints.join(",") });

  const signal = await shutdown.requested;
  log.info("stopping", { signal });
  appliance.drain();
  const stopped = appliance.stop();
  const outcome = await Promise.race([stopped.then(() => "stopped"), shutdown.hurried.then(() => "hurried")]);
  if (outcome === "hurried") log.warn("second signal: stopping now");
  server.stop(true);
  shutdown.dispose();
  log.info("bamboo stopped");
  return 0;
}
