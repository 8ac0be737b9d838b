import { timingSafeEqual } from "node:crypto";
import { HttpError } from "./errors.ts";

/**
 * Write calls need HTTP basic auth once a password is configured. Compared in constant
 * time so the password cannot be guessed byte by byte from response times.
 */
export function requireWriter(request: Request, credentials: { user: string; password: string }): void {
  if (credentials.password === "") return;
  const header = request.headers.get("authorization") ?? "";
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) throw new HttpError(401, "this call changes routing: send HTTP basic auth with BAMBOO_API_USER and BAMBOO_API_PASSWORD");
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? "" : decoded.slice(colon + 1);
  if (!(sameText(user, credentials.user) && sameText(password, credentials.password))) {
    throw new HttpError(401, "wrong user or password for write calls");
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
