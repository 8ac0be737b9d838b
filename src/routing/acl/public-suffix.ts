/** Two-label public suffixes under which unrelated organisations register names. */
const SHARED_SUFFIXES = new Set(["co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.jp", "co.nz", "co.za", "com.br", "com.cn", "co.in", "com.mx"]);

/**
 * Whether a host name (no port) is a top-level or shared suffix rather than a domain one
 * organisation owns: `com`, `co.uk`. No public-suffix list is shipped; one label, or a
 * well-known two-label suffix, is what host rules and wildcard certificates must go beyond.
 *
 * @example isPublicSuffix("co.uk") // true
 * @example isPublicSuffix("example.co.uk") // false
 */
export function isPublicSuffix(name: string): boolean {
  const labels = name.toLowerCase().split(".").filter((label) => label !== "");
  return labels.length < 2 || SHARED_SUFFIXES.has(labels.join("."));
}
