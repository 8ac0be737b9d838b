import { rm } from "node:fs/promises";
import type { Logger } from "../system/log.ts";
import { writeFileAtomic } from "./config-file.ts";
import { validateConfig } from "./validate.ts";

/** What the applier needs of the HAProxy process: the supervisor provides it. */
export interface HAProxyProcess {
  start(): Promise<void>;
  reload(): Promise<{ ok: true; durationMs: number } | { ok: false; message: string; durationMs: number }>;
  isRunning(): boolean;
}

export type ApplyOutcome =
  | { readonly kind: "unchanged" }
  | { readonly kind: "started" }
  | { readonly kind: "reloaded"; readonly durationMs: number }
  | { readonly kind: "invalid"; readonly message: string }
  | { readonly kind: "failed"; readonly message: string };

export interface ApplyStatus {
  /** The config HAProxy serves, or null before the first successful apply. */
  readonly serving: string | null;
  readonly reloads: number;
  readonly failedReloads: number;
  readonly invalidConfigs: number;
  readonly lastReloadAt: string | null;
  readonly lastReloadMs: number | null;
  readonly lastReloadReasons: readonly string[];
  readonly lastError: string | null;
}

/**
 * Puts a rendered config in front of HAProxy: validate, write atomically, start or reload,
 * confirm. When any step fails the last good config stays on disk and keeps serving, so a
 * crash restart or container restart comes back to what was serving.
 */
export class ConfigApplier {
  #serving: string | null = null;
  #status: Omit<ApplyStatus, "serving"> = {
    reloads: 0,
    failedReloads: 0,
    invalidConfigs: 0,
    lastReloadAt: null,
    lastReloadMs: null,
    lastReloadReasons: [],
    lastError: null,
  };

  constructor(
    private readonly options: {
      readonly bin: string;
      readonly configPath: string;
      readonly process: HAProxyProcess;
      readonly log: Logger;
      readonly now?: () => Date;
    },
  ) {}

  status(): ApplyStatus {
    return { serving: this.#serving, ...this.#status };
  }

  async apply(config: string, reasons: readonly string[]): Promise<ApplyOutcome> {
    const { configPath, bin, process: haproxy, log } = this.options;
    if (config === this.#serving && haproxy.isRunning()) return { kind: "unchanged" };

    const candidate = `${configPath}.candidate`;
    await writeFileAtomic(candidate, config);
    const verdict = await validateConfig(bin, candidate);
    if (!verdict.ok) {
      await rm(candidate, { force: true });
      const message = `generated config is invalid, the previous one keeps serving: ${verdict.message}`;
      this.#update({ invalidConfigs: this.#status.invalidConfigs + 1, lastError: message });
      log.error("config rejected by haproxy -c", { reasons, error: verdict.message });
      return { kind: "invalid", message };
    }
    await writeFileAtomic(configPath, config);
    await rm(candidate, { force: true });

    if (!haproxy.isRunning()) {
      try {
        await haproxy.start();
      } catch (error) {
        const message = `HAProxy did not start: ${error instanceof Error ? error.message : String(error)}`;
        this.#update({ lastError: message });
        log.error("haproxy did not start", { error: message });
        return { kind: "failed", message };
      }
      this.#serving = config;
      this.#update({ lastError: null });
      log.info("haproxy started", { reasons });
      return { kind: "started" };
    }

    const outcome = await haproxy.reload();
    if (!outcome.ok) {
      if (this.#serving !== null) await writeFileAtomic(configPath, this.#serving);
      const message = `reload failed, the previous config keeps serving: ${outcome.message}`;
      this.#update({ failedReloads: this.#status.failedReloads + 1, lastError: message });
      log.error("haproxy reload failed", { reasons, error: outcome.message });
      return { kind: "failed", message };
    }
    this.#serving = config;
    this.#update({
      reloads: this.#status.reloads + 1,
      lastReloadAt: (this.options.now?.() ?? new Date()).toISOString(),
      lastReloadMs: outcome.durationMs,
      lastReloadReasons: reasons,
      lastError: null,
    });
    log.info("haproxy reloaded", { reasons, ms: Math.round(outcome.durationMs) });
    return { kind: "reloaded", durationMs: outcome.durationMs };
  }

  #update(changes: Partial<Omit<ApplyStatus, "serving">>): void {
    this.#status = { ...this.#status, ...changes };
  }
}
