import { execa } from "execa";

/** `alerts` are HAProxy's own error lines, first one first; `message` joins them. */
export type Validation = { ok: true } | { ok: false; message: string; alerts: readonly string[] };

/** `haproxy -c` gets this long; a hung validation must not stall every update behind it. */
const VALIDATE_TIMEOUT_MS = 10_000;

/**
 * Asks HAProxy whether a config file is valid (`haproxy -c -f <file>`). The exit status
 * comes from the spawn itself, never from a process-wide wait, so a PID 1 reaper cannot
 * steal it (Bamboo lost one change in five that way).
 */
export async function validateConfig(bin: string, configPath: string): Promise<Validation> {
  let result;
  try {
    result = await execa(bin, ["-c", "-f", configPath], { reject: false, timeout: VALIDATE_TIMEOUT_MS, all: true, stdin: "ignore" });
  } catch (error) {
    return failure(`could not run ${bin}: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`);
  }
  if (result.exitCode === 0) return { ok: true };
  if (result.failed && result.exitCode === undefined) {
    const why = result.timedOut ? `timed out after ${VALIDATE_TIMEOUT_MS} ms` : (result.shortMessage ?? "failed to start").split("\n")[0];
    return failure(`could not run ${bin}: ${why}`);
  }
  const alerts = haproxyAlerts(result.all ?? "");
  return alerts.length > 0 ? { ok: false, message: alerts.join("; "), alerts } : failure(`${bin} -c exited with ${result.exitCode}`);
}

function failure(message: string): Validation {
  return { ok: false, message, alerts: [message] };
}

/** HAProxy's ALERT lines, which name the file, line and problem; the rest is noise. */
export function haproxyAlerts(output: string): string[] {
  const alerts = output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("[ALERT]"))
    .map((line) => line.replace(/^\[ALERT\]\s*(\(\d+\)\s*)?:\s*/, "").replace(/^config\s*:\s*/, ""));
  return alerts.filter((line) => !/^Fatal errors found in configuration\.?$/.test(line) && !/^Error\(s\) found in configuration file/.test(line));
}
