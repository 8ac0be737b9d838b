import type { ApplyOutcome, ConfigApplier } from "../haproxy/apply.ts";
import type { AclChecker } from "../haproxy/acl-check.ts";
import { unboundPorts } from "../haproxy/bind-failures.ts";
import { culpritApps } from "../haproxy/culprits.ts";
import type { RenderConfig } from "../haproxy/template.ts";
import { Compiler, type CompileOptions } from "../compile/compiler.ts";
import { newProblems, type RoutingProblem } from "../compile/problems.ts";
import { toTemplateData, type HAProxyTemplateSettings, type TemplateData } from "../routing/template-data.ts";
import type { Logger } from "../system/log.ts";
import type { HostResolver } from "./host-resolver.ts";
import { OutsideAnswerSource } from "./outside-answers.ts";
import type { Snapshot } from "./reconciler.ts";
import { errorMessage } from "../system/error-message.ts";

/** A config HAProxy rejects is retried this often, each time without the apps it blamed. */
const MAX_EXCLUSION_ROUNDS = 3;

/** A service port HAProxy could not bind is tried again after this long: whatever held it may have let go. */
const UNBINDABLE_RETRY_MS = 5 * 60_000;

/** What HAProxy runs: the snapshot and template data of the last config it accepted. Immutable. */
export interface AppliedState {
  readonly snapshot: Snapshot;
  readonly data: TemplateData;
  /** What of the snapshot is not routed as written. */
  readonly problems: readonly RoutingProblem[];
  /** Apps of the snapshot left to instances of other groups (BAMBOO_GROUPS), by id. */
  readonly elsewhere: readonly string[];
  /** null before HAProxy first accepted a config. */
  readonly appliedAt: string | null;
}

/** A wanted state HAProxy does not run, since when (the first failed attempt) and why. */
export interface PendingChange {
  readonly sinceMs: number;
  readonly reason: string;
  /** The apps the wanted state routes; those HAProxy runs are in the applied state. */
  readonly apps: number;
  /** True when retrying cannot help until something changes (HAProxy refuses the config). */
  readonly refused: boolean;
}

/**
 * Snapshot → compiled config (compile/compiler.ts) → HAProxy, one snapshot at a time. Asks
 * HAProxy and DNS what compiling needs, and leaves out the apps HAProxy's errors blame.
 * What it publishes is what HAProxy accepted; a wanted state it could not apply is kept
 * beside it as pending, with the reason.
 */
export class RoutingPipeline {
  #applied: AppliedState;
  #pending: PendingChange | null = null;
  readonly #compiler: Compiler;
  readonly #answers: OutsideAnswerSource;
  #listeners = new Set<() => void>();
  /**
   * Service ports HAProxy could not bind, with why and until when they are left out. The
   * compiler is handed the same map object while it does not change (compile/service-port-plans.ts).
   */
  #unbindable: { readonly until: ReadonlyMap<number, number>; readonly why: ReadonlyMap<number, string> } = { until: new Map(), why: new Map() };

  constructor(
    private readonly deps: {
      readonly render: RenderConfig;
      readonly settings: HAProxyTemplateSettings;
      /** Which apps this instance serves, and the ACL policy rules from labels pass. */
      readonly compile?: CompileOptions;
      readonly aclChecker: Pick<AclChecker, "checkAll">;
      readonly resolver: Pick<HostResolver, "lookupAll">;
      readonly applier: Pick<ConfigApplier, "apply" | "running">;
      readonly log: Logger;
    },
  ) {
    this.#compiler = new Compiler(deps.render, deps.settings, deps.compile);
    this.#answers = new OutsideAnswerSource(deps);
    this.#applied = { snapshot: { apps: [], services: [], certificates: [] }, data: toTemplateData([], [], deps.settings), problems: [], elsewhere: [], appliedAt: null };
  }

  /** The state HAProxy runs. */
  applied(): AppliedState {
    return this.#applied;
  }

  /** The wanted state HAProxy does not run yet, or null when it runs the latest. */
  pending(): PendingChange | null {
    return this.#pending;
  }

  /** Called after every apply, whatever its outcome. */
  onApplied(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Applies a snapshot. An app is left out only when HAProxy's errors point at some of the
   * apps and the config without them is accepted; when they point at none or at all of
   * them, the fault is the template's or a setting's, and nothing is dropped: the running
   * config stays and the refusal is reported. Rejects when applying failed in a way a
   * retry may fix (a full disk, HAProxy not starting); the state stays pending then.
   */
  apply = async (snapshot: Snapshot, reasons: readonly string[]): Promise<ApplyOutcome> => {
    try {
      const outcome = await this.#apply(snapshot, reasons);
      if (outcome.kind === "invalid" || outcome.kind === "failed") this.#markPending(snapshot, outcome.message, outcome.kind === "invalid");
      return outcome;
    } catch (error) {
      this.#markPending(snapshot, errorMessage(error), false);
      throw error;
    } finally {
      for (const listener of this.#listeners) listener();
    }
  };

  async #apply(snapshot: Snapshot, reasons: readonly string[]): Promise<ApplyOutcome> {
    const answers = await this.#answers.answersFor(snapshot);
    const leaveOut = new Map<string, string>();
    for (let round = 0; ; round++) {
      // The running config is read just before applying: its slots are what the new config keeps.
      const { config, maps, tls, data, problems, elsewhere, servicePorts } = this.#compiler.compile({ ...snapshot, answers, leaveOut, unbindable: this.#unbindablePorts(), previous: this.deps.applier.running() });
      const outcome = await this.deps.applier.apply(config, reasons, { maps, tls });
      if (outcome.kind === "failed" && round < MAX_EXCLUSION_ROUNDS && this.#noteUnbindable(outcome.message, servicePorts)) continue;
      if (outcome.kind !== "invalid") {
        const appliedAt = outcome.kind === "unchanged" && this.#applied.appliedAt !== null ? this.#applied.appliedAt : new Date().toISOString();
        if (outcome.kind !== "failed") this.#publish({ snapshot, data, problems, elsewhere, appliedAt });
        return outcome;
      }
      const culprits = culpritApps(outcome.config, outcome.alerts, data.Apps.map((app) => ({ id: app.Id, escapedId: app.EscapedId })));
      // Blaming every app would serve an empty config: the template or a setting is at fault.
      if (culprits.length === 0 || culprits.length === data.Apps.length || round === MAX_EXCLUSION_ROUNDS) return outcome;
      for (const id of culprits) leaveOut.set(id, outcome.alerts.join("; "));
    }
  }

  /** The service ports to leave out now; the same object while that does not change. */
  #unbindablePorts(): ReadonlyMap<number, string> {
    const now = Date.now();
    const { until, why } = this.#unbindable;
    if ([...until.values()].every((time) => time > now)) return why;
    const kept = [...until].filter(([, time]) => time > now);
    this.#unbindable = { until: new Map(kept), why: new Map(kept.map(([port]) => [port, why.get(port)!])) };
    return this.#unbindable.why;
  }

  /** Remembers the service ports a failed start or reload could not bind; false when it names none of them. */
  #noteUnbindable(message: string, servicePorts: ReadonlySet<number>): boolean {
    const failed = [...unboundPorts(message)].filter(([port]) => servicePorts.has(port));
    if (failed.length === 0) return false;
    const until = new Map(this.#unbindable.until);
    const why = new Map(this.#unbindable.why);
    for (const [port, reason] of failed) {
      until.set(port, Date.now() + UNBINDABLE_RETRY_MS);
      why.set(port, `HAProxy cannot bind it (${reason}); tried again in ${UNBINDABLE_RETRY_MS / 60_000} minutes`);
      this.deps.log.warn("service port not listened on: HAProxy cannot bind it", { port, reason });
    }
    this.#unbindable = { until, why };
    return true;
  }

  #publish(applied: AppliedState): void {
    for (const problem of newProblems(this.#applied.problems, applied.problems)) this.deps.log.warn("not routed as written", { ...problem });
    if (this.#pending !== null) this.deps.log.info("the wanted config is applied again", { pendingMs: Date.now() - this.#pending.sinceMs });
    this.#applied = applied;
    this.#pending = null;
  }

  #markPending(snapshot: Snapshot, reason: string, refused: boolean): void {
    this.#pending = { sinceMs: this.#pending?.sinceMs ?? Date.now(), reason, apps: snapshot.apps.length, refused };
  }
}
