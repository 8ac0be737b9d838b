/**
 * The API user and password (the viewer's or the admin's), kept for this tab only:
 * sessionStorage dies with the tab, so a shared or borrowed machine does not keep access to
 * the apps and their routing rules.
 */
const KEY = "bamboo.api-credentials";

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export function loadCredentials(): Credentials | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === "object" && parsed !== null && "user" in parsed && "password" in parsed) {
      const { user, password } = parsed as Record<string, unknown>;
      if (typeof user === "string" && typeof password === "string") return { user, password };
    }
  } catch {
    // Storage can be disabled (private modes); the page then asks again on the next 401.
  }
  return null;
}

export function saveCredentials(credentials: Credentials | null): void {
  try {
    if (credentials) sessionStorage.setItem(KEY, JSON.stringify(credentials));
    else sessionStorage.removeItem(KEY);
  } catch {
    // See loadCredentials.
  }
}

export function basicAuthHeader(credentials: Credentials): string {
  // btoa only takes Latin-1; encode as UTF-8 first, which is what the server decodes.
  const bytes = new TextEncoder().encode(`${credentials.user}:${credentials.password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}
