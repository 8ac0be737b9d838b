import { runBounded } from "../system/bounded-child.ts";
import { haproxyAlerts } from "./output-lines.ts";

/** `alerts` are HAProxy's own error lines, first one first; `message` joins them. */
export type Validation = { ok: true } | { ok: false; message: string; alerts: readonly string[] };

/** `haproxy -c` gets this long; a hung validation must not stall every update behind it. */
const VALIDATE_TIMEOUT_MS = 10_000;

/**
 * Asks HAProxy whether a config file is valid (`haproxy -c -f <file>`). A validation that
 * hangs is killed with everything it forked once `timeoutMs` has passed.
 */
export async function validateConfig(bin: string, configPath: string, options: { readonly timeoutMs?: number } = {}): Promise<Validation> {
  const run = await runBounded([bin, "-c", "-f", configPath], { timeoutMs: options.timeoutMs ?? VALIDATE_TIMEOUT_MS });
  switch (run.kind) {
    case "not-started":
      return failure(`could not run ${bin}: ${run.message}`);
    case "timed-out":
      return failure(`could not run ${bin}: timed out after ${run.timeoutMs} ms`);
    case "signalled":
      return failure(`could not run ${bin}: killed by ${run.signal}`);
    case "exited": {
      if (run.exitCode === 0) return { ok: true };
      const alerts = haproxyAlerts(run.output);
      return alerts.length > 0 ? { ok: false, message: alerts.join("; "), alerts } : failure(`${bin} -c exited with ${run.exitCode}`);
    }
  }
}

function failure(message: string): Validation {
  return { ok: false, message, alerts: [message] };
}
