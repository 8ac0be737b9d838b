import { timingSafeEqual } from "node:crypto";
import type { Credential } from "./credentials.ts";
import { HttpError } from "./errors.ts";

/** A credential and what it lets its holder do. */
export interface Account<Role extends string> {
  readonly role: Role;
  readonly credential: Credential;
}

/**
 * The account whose HTTP basic credentials `request` carries; 401 when it carries none or
 * none that match. `what` says what needs them, for the message.
 * Compared in constant time, and against every account whichever matches, so neither a
 * password nor which user exists can be guessed from response times.
 */
export function signedInAccount<Role extends string>(request: Request, accounts: readonly Account<Role>[], what: string): Account<Role> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) throw new HttpError(401, `${what} needs HTTP basic auth`);
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? "" : decoded.slice(colon + 1);
  let matched: Account<Role> | null = null;
  for (const account of accounts) {
    // Both comparisons always run, so a wrong user takes as long as a wrong password.
    const userOk = sameText(user, account.credential.user);
    const passwordOk = sameText(password, account.credential.password);
    if (userOk && passwordOk && matched === null) matched = account;
  }
  if (matched === null) throw new HttpError(401, `wrong user or password for ${what}`);
  return matched;
}

/** Checks HTTP basic auth against one credential; null means auth is off. */
export function requireCredential(request: Request, credential: Credential | null, what: string): void {
  if (credential !== null) signedInAccount(request, [{ role: "allowed", credential }], what);
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // timingSafeEqual needs equal lengths; compare against itself to spend the same time.
  if (left.length !== right.length) {
    timingSafeEqual(right, right);
    return false;
  }
  return timingSafeEqual(left, right);
}
