import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../system/error-message.ts";
import { validateConfig } from "./validate.ts";

export type AclVerdict = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Every accepted rule's verdict: one object, not one per rule (10,000 at 10,000 rules). */
const ACCEPTED: AclVerdict = Object.freeze({ ok: true });

/** A verdict about the rule itself; "HAProxy could not be run" says nothing about it and is asked again. */
export function isFinal(verdict: AclVerdict): boolean {
  return verdict.ok || !verdict.message.startsWith("could not run");
}

/** More distinct rules than any installation stores: past it the verdicts are forgotten and asked again. */
const MAX_VERDICTS = 50_000;

export interface AclCheckerOptions {
  /** Rules HAProxy is known to accept without asking it (routing/route-maps.ts isPlainKeyRule). */
  readonly trusted?: (acl: string) => boolean;
}

/**
 * Asks HAProxy itself whether ACL criteria are valid, in a minimal config of its own so
 * that the answer does not depend on the template or on other apps. Verdicts are cached by
 * ACL text: the same rule is checked once per process.
 */
export class AclChecker {
  readonly #cache = new Map<string, Promise<AclVerdict>>();
  /** The verdicts already in: the stored rules are looked up again at every rule change, 10,000 awaits cost ~8 ms. */
  readonly #settled = new Map<string, AclVerdict>();

  constructor(
    private readonly haproxyBin: string,
    private readonly options: AclCheckerOptions = {},
  ) {}

  check(acl: string): Promise<AclVerdict> {
    const settled = this.#verdictNow(acl);
    if (settled !== undefined) return Promise.resolve(settled);
    if (!this.#cache.has(acl)) this.#remember([acl], this.#checkBatch([acl]));
    return this.#cache.get(acl)!;
  }

  /** A verdict known without waiting: a rule refused locally, trusted, or already answered. */
  #verdictNow(acl: string): AclVerdict | undefined {
    // Settled verdicts first: only rules that passed the local check are settled, and 10,000 regex scans per rule change add up.
    const settled = this.#settled.get(acl);
    if (settled !== undefined) return settled;
    const local = checkAclText(acl);
    if (!local.ok) return local;
    if (this.options.trusted?.(acl)) {
      this.#settle(acl, ACCEPTED);
      return ACCEPTED;
    }
    return undefined;
  }

  /**
   * Checks many ACLs with one `haproxy -c` (the stored rules at start: one HAProxy run per
   * rule would cost seconds and a process per rule). HAProxy names the line of each rule it
   * rejects, which attributes every verdict.
   */
  async checkAll(acls: readonly string[]): Promise<Map<string, AclVerdict>> {
    const verdicts = new Map<string, AclVerdict>();
    const waiting: string[] = [];
    for (const acl of new Set(acls)) {
      const now = this.#verdictNow(acl);
      if (now !== undefined) verdicts.set(acl, now);
      else waiting.push(acl);
    }
    const unasked = waiting.filter((acl) => !this.#cache.has(acl));
    if (unasked.length > 0) this.#remember(unasked, this.#checkBatch(unasked));
    await Promise.all(waiting.map(async (acl) => verdicts.set(acl, await this.#cache.get(acl)!)));
    return verdicts;
  }

  #remember(acls: readonly string[], batch: Promise<AclVerdict[]>): void {
    acls.forEach((acl, index) => {
      const verdict = batch.then((verdicts) => verdicts[index]!);
      this.#cache.set(acl, verdict);
      void verdict.then((result) => {
        this.#cache.delete(acl);
        // "HAProxy could not be run" is no verdict: the next check asks again.
        if (isFinal(result)) this.#settle(acl, result);
      });
    });
  }

  #settle(acl: string, verdict: AclVerdict): void {
    if (this.#settled.size >= MAX_VERDICTS) this.#settled.clear();
    this.#settled.set(acl, verdict);
  }

  /**
   * Never rejects: a temp file that cannot be written (a full disk) is "could not run", no
   * verdict, so the rules are asked about again rather than a rejection staying in the cache.
   */
  async #checkBatch(acls: readonly string[]): Promise<AclVerdict[]> {
    let dir: string;
    try {
      dir = await mkdtemp(join(tmpdir(), "bamboo-acl-"));
    } catch (error) {
      return acls.map(() => ({ ok: false, message: `could not run haproxy -c: ${errorMessage(error)}` }));
    }
    const file = join(dir, "acl-check.cfg");
    try {
      const { text, firstAclLine } = aclBatchConfig(acls);
      await writeFile(file, text);
      const result = await validateConfig(this.haproxyBin, file);
      if (result.ok) return acls.map(() => ACCEPTED);
      if (result.message.startsWith("could not run")) return acls.map(() => ({ ok: false, message: result.message }));
      const byLine = new Map<number, string>();
      for (const alert of result.alerts) {
        const line = /acl-check\.cfg:(\d+)\]/.exec(alert);
        if (line && !byLine.has(Number(line[1]))) byLine.set(Number(line[1]), alert);
      }
      return acls.map((_acl, index) => {
        const alert = byLine.get(firstAclLine + index);
        return alert === undefined ? ACCEPTED : { ok: false, message: `HAProxy rejects the ACL: ${stripLocation(alert)}` };
      });
    } catch (error) {
      return acls.map(() => ({ ok: false, message: `could not run haproxy -c: ${errorMessage(error)}` }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Checks that need no HAProxy: one line of printable text. */
export function checkAclText(acl: string): AclVerdict {
  if (acl.trim() === "") return { ok: false, message: "the ACL is empty" };
  // eslint-disable-next-line no-control-regex
  const control = /[\x00-\x1f\x7f]/.exec(acl);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, "0");
    return { ok: false, message: `the ACL contains a control character (0x${code}) at position ${control.index}: an ACL is one line of text` };
  }
  if (acl.includes("#")) return { ok: false, message: "the ACL contains '#', which would turn the rest of the line into a comment" };
  return ACCEPTED;
}

/** One `acl` line per rule, unused: HAProxy only warns about unused ACLs. */
function aclBatchConfig(acls: readonly string[]): { text: string; firstAclLine: number } {
  const head = ["defaults", "    mode http", "    timeout connect 1s", "    timeout client 1s", "    timeout server 1s", "frontend acl-check", "    bind 127.0.0.1:1"];
  const lines = [...head, ...acls.map((acl, index) => `    acl candidate${index} ${acl}`), ""];
  return { text: lines.join("\n"), firstAclLine: head.length + 1 };
}

/** HAProxy names the temp file, line and our ACL's name; the user only needs what it said about the rule. */
function stripLocation(message: string): string {
  return message
    .replace(/^parsing \[[^\]]*acl-check\.cfg:\d+\]\s*:\s*/, "")
    .replace(/^error detected while parsing ACL 'candidate\d+'\s*:\s*/, "")
    .trim();
}
