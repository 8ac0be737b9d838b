/**
 * Turning any service name into a valid Marathon app id, so that a team can name a service
 * "Payments API" and still get an id Marathon and Bamboo's ZooKeeper layout accept.
 *
 * @module
 */

export type SanitizeResult = { ok: true; id: string } | { ok: false; message: string };

/** Marathon's rule for one path segment: dot-separated labels of [a-z0-9-], each starting and ending with a letter or digit. */
const SEGMENT = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Letters that NFKD does not decompose into an ASCII letter plus marks, spelled the usual way. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  ł: "l",
  đ: "d",
  ð: "d",
  þ: "th",
  ı: "i",
};

/**
 * Whether `id` is already a valid absolute Marathon app id: `/` then segments separated by
 * `/`, each matching Marathon's segment rule (no `.` or `..` segments).
 */
export function isValidAppId(id: string): boolean {
  if (!id.startsWith("/") || id === "/") return false;
  return id
    .slice(1)
    .split("/")
    .every((segment) => SEGMENT.test(segment));
}

/**
 * Makes a valid Marathon app id from any name: lower-cases; transliterates simple accented
 * letters (é → e, ß → ss) and drops other non-ASCII letters; turns every run of other
 * characters into one `-`; trims `-` from the ends of each dot-separated label; drops empty,
 * `.` and `..` segments; adds the leading `/`.
 *
 * Stable and idempotent: a valid id comes back unchanged (hyphen runs it already has are
 * kept), and sanitising a result gives the same result.
 *
 * @example sanitizeAppId("My Service_v2") // { ok: true, id: "/my-service-v2" }
 * @example sanitizeAppId("Team/Payments API") // { ok: true, id: "/team/payments-api" }
 * @example sanitizeAppId("---") // { ok: false, message: "..." }
 */
export function sanitizeAppId(name: string): SanitizeResult {
  if (isValidAppId(name)) return { ok: true, id: name };
  const ascii = toAscii(name.toLowerCase());
  const segments = ascii
    .split("/")
    .map(sanitizeSegment)
    .filter((segment) => segment !== "");
  if (segments.length === 0) {
    return { ok: false, message: `'${name}' has no letters or digits to make an app id from: use a name such as "payments-api" or "team/payments-api"` };
  }
  return { ok: true, id: `/${segments.join("/")}` };
}

function toAscii(text: string): string {
  let out = "";
  for (const char of text.normalize("NFKD")) {
    if (/\p{M}/u.test(char)) continue;
    const code = char.codePointAt(0)!;
    if (code < 0x80) out += char;
    else if (TRANSLITERATIONS[char] !== undefined) out += TRANSLITERATIONS[char];
    // Letters with no simple spelling are dropped; anything else separates words.
    else if (!/\p{L}/u.test(char)) out += " ";
  }
  return out;
}

function sanitizeSegment(segment: string): string {
  // Only runs holding a character Marathon refuses become one '-', so hyphens a valid id already has survive.
  const replaced = segment.replace(/[^a-z0-9.]*[^a-z0-9.-][^a-z0-9.]*/g, "-");
  return replaced
    .split(".")
    .map((label) => label.replace(/^-+|-+$/g, ""))
    .filter((label) => label !== "")
    .join(".");
}
