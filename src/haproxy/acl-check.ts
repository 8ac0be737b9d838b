import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "./validate.ts";

export type AclVerdict = { ok: true } | { ok: false; message: string };

/**
 * Asks HAProxy itself whether an ACL criterion is valid, in a minimal config of its own so
 * that the answer does not depend on the template or on other apps. Verdicts are cached by
 * ACL text: the same rule is checked once per process.
 */
export class AclChecker {
  readonly #cache = new Map<string, Promise<AclVerdict>>();

  constructor(private readonly haproxyBin: string) {}

  check(acl: string): Promise<AclVerdict> {
    const local = checkAclText(acl);
    if (!local.ok) return Promise.resolve(local);
    let verdict = this.#cache.get(acl);
    if (!verdict) {
      verdict = this.#checkWithHAProxy(acl);
      this.#cache.set(acl, verdict);
      // A failure to run HAProxy at all says nothing about the rule: do not remember it.
      verdict.then((result) => {
        if (!result.ok && result.message.startsWith("could not run")) this.#cache.delete(acl);
      });
    }
    return verdict;
  }

  /** The verdict if this ACL was checked before, without running HAProxy. */
  known(acl: string): Promise<AclVerdict> | undefined {
    return this.#cache.get(acl);
  }

  async #checkWithHAProxy(acl: string): Promise<AclVerdict> {
    const dir = await mkdtemp(join(tmpdir(), "bamboo-acl-"));
    const file = join(dir, "acl-check.cfg");
    try {
      await writeFile(file, aclCheckConfig(acl));
      const result = await validateConfig(this.haproxyBin, file);
      if (result.ok) return { ok: true };
      // Later alerts ("no such ACL") only follow from the first one.
      return { ok: false, message: `HAProxy rejects the ACL: ${stripLocation(result.alerts[0] ?? result.message)}` };
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
  return { ok: true };
}

function aclCheckConfig(acl: string): string {
  return [
    "defaults",
    "    mode http",
    "    timeout connect 1s",
    "    timeout client 1s",
    "    timeout server 1s",
    "frontend acl-check",
    "    bind 127.0.0.1:1",
    `    acl candidate ${acl}`,
    "    use_backend acl-check-backend if candidate",
    "backend acl-check-backend",
    "",
  ].join("\n");
}

/** HAProxy names the temp file and line; the user only needs what it said about the rule. */
function stripLocation(message: string): string {
  return message.replace(/\[[^\]]*acl-check\.cfg:\d+\]\s*:?\s*/g, "").trim();
}
