import type { AppliedBy, CertificateDates } from "../../api-types.ts";

/** A certificate's expiry as the page marks it: a word and a colour, never the colour alone. */
export type ExpiryState = "expired" | "soon" | "valid";

export interface Expiry {
  readonly state: ExpiryState;
  /** The day it expires, `YYYY-MM-DD` (UTC, as the API's timestamps are). */
  readonly date: string;
  /** "expired 3 days ago", "expires in 5 days", "valid for 80 days". */
  readonly words: string;
}

const DAY_MS = 86_400_000;

/** The appliance decides expired / expires soon (14 days); the page only counts the days. */
export function expiryOf(certificate: Pick<CertificateDates, "notAfter" | "expired" | "expiresSoon">, now: number = Date.now()): Expiry {
  const at = new Date(certificate.notAfter).getTime();
  const date = Number.isNaN(at) ? certificate.notAfter : new Date(at).toISOString().slice(0, 10);
  const days = Math.floor(Math.abs(at - now) / DAY_MS);
  const count = days === 1 ? "1 day" : `${days} days`;
  if (certificate.expired) return { state: "expired", date, words: days === 0 ? "expired today" : `expired ${count} ago` };
  if (certificate.expiresSoon) return { state: "soon", date, words: days === 0 ? "expires today" : `expires in ${count}` };
  return { state: "valid", date, words: `valid for ${count}` };
}

/** The marker's word per state. */
export const EXPIRY_WORDS: Readonly<Record<ExpiryState, string>> = { expired: "Expired", soon: "Expires soon", valid: "Valid" };

/** How an upload or removal reached HAProxy, as `X-Bamboo-Applied` says, in words. */
export function appliedWords(applied: AppliedBy | null, what: "upload" | "removal"): string {
  const change = what === "upload" ? "serves it" : "no longer serves it";
  switch (applied) {
    case "runtime":
      return `HAProxy ${change} now, changed at run time without a reload.`;
    case "reload":
      return `HAProxy ${change} now, after a reload.`;
    case "pending":
      return `Stored, but HAProxy has not taken it yet; the Appliance view says why.`;
    default:
      return "Stored.";
  }
}

/** A default name from a picked file: `shop.example.com.pem` → `shop.example.com`; "" when nothing usable is left. */
export function nameFromFile(fileName: string): string {
  return fileName
    .toLowerCase()
    .replace(/\.(pem|crt|cer|key|txt)$/, "")
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 64);
}
