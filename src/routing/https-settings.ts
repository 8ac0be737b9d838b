/**
 * Per-app HTTPS behaviour (issue 18 item 6): a 301 from HTTP to HTTPS, and HSTS on HTTPS
 * answers. Set by the app's service (`RedirectToHttps`, `Hsts` in its config, through the API
 * or the UI), or by the app's labels or env (`BAMBOO_REDIRECT_TO_HTTPS`, `BAMBOO_HSTS`, and
 * marathon-lb's `HAPROXY_0_REDIRECT_TO_HTTPS`); the service wins over the app. Pure.
 * @module
 */

export interface HttpsSettings {
  readonly redirect: boolean;
  /** The Strict-Transport-Security header's value; "" sends none. */
  readonly hsts: string;
}

export const NO_HTTPS_SETTINGS: HttpsSettings = { redirect: false, hsts: "" };

/** A year, as browsers' preload lists ask for, when HSTS is turned on without a value. */
const DEFAULT_HSTS = "max-age=31536000";

const SERVICE_KEYS = { redirect: "RedirectToHttps", hsts: "Hsts" } as const;
const APP_KEYS = { redirect: ["BAMBOO_REDIRECT_TO_HTTPS", "HAPROXY_0_REDIRECT_TO_HTTPS"], hsts: ["BAMBOO_HSTS", "HAPROXY_0_USE_HSTS"] } as const;

type Values = Readonly<Record<string, string>>;

/**
 * What an app's HTTPS settings say; a value that is not understood counts as unset (and
 * {@link httpsSettingProblems} names it). Labels are read before env, as Marathon users set
 * routing on labels.
 */
export function httpsSettingsOf(app: { readonly labels: Values; readonly env: Values }, serviceConfig: Values | undefined): HttpsSettings {
  const pick = <T>(read: (text: string) => T | null, serviceKey: string, appKeys: readonly string[]): T | null => {
    for (const text of [serviceConfig?.[serviceKey], ...appKeys.flatMap((key) => [app.labels[key], app.env[key]])]) {
      if (text === undefined || text === "") continue;
      const value = read(text);
      if (value !== null) return value;
    }
    return null;
  };
  const redirect = pick(readSwitch, SERVICE_KEYS.redirect, APP_KEYS.redirect) ?? false;
  const hsts = pick(readHsts, SERVICE_KEYS.hsts, APP_KEYS.hsts) ?? "";
  return redirect || hsts !== "" ? { redirect, hsts } : NO_HTTPS_SETTINGS;
}

/**
 * A port after the first as the shared HTTP frontend routes it (routing/port-routes.ts):
 * marathon-lb's `HAPROXY_{n}_REDIRECT_TO_HTTPS` and `HAPROXY_{n}_USE_HSTS` alone, as no
 * stored service or env names a port. Values not understood are in `problems`.
 */
export function portHttpsSettingsOf(labels: Values, index: number): { readonly settings: HttpsSettings; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const read = <T>(name: string, parse: (text: string) => T | null, expected: string): T | null => {
    const text = labels[`HAPROXY_${index}_${name}`];
    if (text === undefined || text === "") return null;
    const value = parse(text);
    if (value === null) problems.push(`label HAPROXY_${index}_${name}='${text}' ignored: expected ${expected}`);
    return value;
  };
  const redirect = read("REDIRECT_TO_HTTPS", readSwitch, "true or false") ?? false;
  const hsts = read("USE_HSTS", readHsts, "true, false or a value such as max-age=31536000") ?? "";
  return { settings: redirect || hsts !== "" ? { redirect, hsts } : NO_HTTPS_SETTINGS, problems };
}

/** A service config's HTTPS values that are not understood, each with what is expected; [] when all are. */
export function httpsSettingProblems(config: Values): readonly string[] {
  // Read for every stored service at every rule write: nearly all have neither key.
  if (config[SERVICE_KEYS.redirect] === undefined && config[SERVICE_KEYS.hsts] === undefined) return NONE;
  const problems: string[] = [];
  const redirect = config[SERVICE_KEYS.redirect];
  if (redirect !== undefined && redirect !== "" && readSwitch(redirect) === null) problems.push(`${SERVICE_KEYS.redirect}='${redirect}': expected true or false`);
  const hsts = config[SERVICE_KEYS.hsts];
  if (hsts !== undefined && hsts !== "" && readHsts(hsts) === null) {
    problems.push(`${SERVICE_KEYS.hsts}='${hsts}': expected true, false, or a header value such as max-age=31536000; includeSubDomains`);
  }
  return problems;
}

const NONE: readonly string[] = [];

/** The same for an app's labels and env. */
export function appHttpsSettingProblems(app: { readonly labels: Values; readonly env: Values }): string[] {
  const problems: string[] = [];
  for (const [where, values] of [["label", app.labels], ["env", app.env]] as const) {
    for (const key of APP_KEYS.redirect) {
      const text = values[key];
      if (text !== undefined && text !== "" && readSwitch(text) === null) problems.push(`${where} ${key}='${text}' ignored: expected true or false`);
    }
    for (const key of APP_KEYS.hsts) {
      const text = values[key];
      if (text !== undefined && text !== "" && readHsts(text) === null) problems.push(`${where} ${key}='${text}' ignored: expected true, false or a value such as max-age=31536000`);
    }
  }
  return problems;
}

function readSwitch(text: string): boolean | null {
  const value = text.trim().toLowerCase();
  if (value === "true" || value === "1" || value === "yes") return true;
  if (value === "false" || value === "0" || value === "no") return false;
  return null;
}

/** HSTS as RFC 6797 writes it, and nothing else: the value is written into HAProxy's config. */
function readHsts(text: string): string | null {
  const value = text.trim();
  const switched = readSwitch(value);
  if (switched !== null) return switched ? DEFAULT_HSTS : "";
  const match = /^max-age=(\d{1,10})((?:\s*;\s*(?:includeSubDomains|preload))*)$/i.exec(value);
  if (!match) return null;
  const flags = match[2]!.split(";").map((flag) => flag.trim()).filter(Boolean);
  return [`max-age=${match[1]}`, ...new Set(flags.map((flag) => (flag.toLowerCase() === "preload" ? "preload" : "includeSubDomains")))].join("; ");
}
