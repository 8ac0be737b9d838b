import { timingSafeEqual } from "node:crypto";
import type { Credential } from "./credentials.ts";
import { HttpError } from "./errors.ts";

/**
 * Checks HTTP basic auth against one credential; null means auth is off. Compared in
 * constant time so a password cannot be guessed byte by byte from response times.
 */
export function requireCredential(request: Request, credential: Credential | null, what: string): void {
  if (credential === null) return;
  const header = request.headers.get("authorization") ?? "";
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) throw new HttpError(401, `${what} needs HTTP basic auth`);
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? "" : decoded.slice(colon + 1);
  // Both comparisons always run, so a wrong user takes as long as a wrong password.
  const userOk = sameText(user, credential.user);
  const passwordOk = sameText(password, credential.password);
  if (!(userOk && passwordOk)) throw new HttpError(401, `wrong user or password for ${what}`);
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
