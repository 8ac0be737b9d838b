import { httpsSettingsOf } from "../../../../routing/https-settings.ts";

/** The rule editor's HTTPS fields (issue 18 item 6): a redirect switch and an HSTS value. */
export interface HttpsInputs {
  readonly redirect: boolean;
  /** As typed: "" (unset), "true", "false", or a header value such as `max-age=31536000`. */
  readonly hsts: string;
}

const NO_APP = { labels: {}, env: {} } as const;

/** The fields as a stored service config says them; the switch reads "1" and "yes" as the appliance does. */
export function httpsInputsOf(config: Readonly<Record<string, string>>): HttpsInputs {
  return { redirect: httpsSettingsOf(NO_APP, config).redirect, hsts: config.Hsts ?? "" };
}

/**
 * The whole config to send with a rule: every stored key kept (the API stores what it is
 * sent), the HTTPS keys changed only where the fields differ from what is stored, so an
 * untouched value keeps its spelling. A cleared HSTS field removes the key, leaving the app's
 * own BAMBOO_HSTS to decide; the switch writes "true" or "false", which wins over the app's labels.
 */
export function configWith(stored: Readonly<Record<string, string>>, inputs: HttpsInputs): Record<string, string> {
  // The rule field is the ACL; the API sets config.Acl from it.
  const next: Record<string, string> = Object.fromEntries(Object.entries(stored).filter(([key]) => key !== "Acl"));
  const before = httpsInputsOf(stored);
  if (inputs.redirect !== before.redirect) next.RedirectToHttps = String(inputs.redirect);
  const hsts = inputs.hsts.trim();
  if (hsts !== before.hsts.trim()) {
    if (hsts === "") delete next.Hsts;
    else next.Hsts = hsts;
  }
  return next;
}
