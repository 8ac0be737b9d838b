import type { RoutingProblem } from "../compile/problems.ts";
import type { Config } from "../config/config.ts";
import type { RuntimePaths } from "../config/paths.ts";
import { MarathonClient } from "../marathon/client.ts";
import { MarathonTransport } from "../marathon/transport.ts";
import type { AppList } from "../marathon/types.ts";
import { createStore } from "../store/index.ts";
import type { Service } from "../store/types.ts";
import { silentLogger } from "../system/log.ts";
import { readSavedApps, readSavedServices } from "./saved-answers.ts";

/** The apps of a saved answer when a file is given, else Marathon's. */
export async function appsFrom(config: Config, file: string | undefined): Promise<AppList> {
  if (file !== undefined) return readSavedApps(file);
  return new MarathonClient(new MarathonTransport(config.marathon), { log: silentLogger }).fetchApps();
}

/** Entries of Marathon's answer that could not be read, worded as serve reports them. */
export function unreadEntries(list: AppList): RoutingProblem[] {
  return list.problems.map((problem) => ({ id: problem.appId, message: `Marathon's entry: ${problem.message}` }));
}

/** The rules of a saved answer when a file is given, else the store's. */
export async function servicesFrom(config: Config, paths: RuntimePaths, file: string | undefined): Promise<readonly Service[]> {
  if (file !== undefined) return readSavedServices(file);
  const store = createStore(config, paths, silentLogger);
  await store.start();
  try {
    return store.list();
  } finally {
    await store.close();
  }
}
