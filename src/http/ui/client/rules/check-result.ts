import type { DryRunAnswer } from "../../api-types.ts";
import { ApiError, SignInCancelled } from "../api.ts";
import { errorMessage } from "../../../../system/error-message.ts";

export type Field = "id" | "acl" | "https" | "form";

/** What the appliance said about the values in the form, keyed by those values. */
export type CheckResult =
  | { readonly kind: "checking"; readonly key: string }
  | { readonly kind: "accepted"; readonly key: string; readonly answer: DryRunAnswer }
  | { readonly kind: "refused"; readonly key: string; readonly field: Field; readonly message: string; readonly conflictsWith: readonly string[] }
  | { readonly kind: "needs-sign-in"; readonly key: string };

/** The values a check answered for; `config` is the service config the write would send, as JSON. */
export function formKey(id: string, acl: string, config = ""): string {
  return `${id.trim()}\n${acl.trim()}\n${config}`;
}

/** Turns a failed dry run or write into a message for the field it is about. */
export function refusal(key: string, error: unknown): CheckResult {
  if (error instanceof ApiError && error.status === 401) return { kind: "needs-sign-in", key };
  if (error instanceof SignInCancelled) return { kind: "refused", key, field: "form", message: "Sign-in was cancelled, so nothing was checked or saved.", conflictsWith: [] };
  if (error instanceof ApiError) return { kind: "refused", key, field: fieldOf(error), message: plainWords(error), conflictsWith: error.conflictsWith };
  return { kind: "refused", key, field: "form", message: `The appliance could not be reached: ${errorMessage(error)}`, conflictsWith: [] };
}

function fieldOf(error: ApiError): Field {
  if (error.status === 409) return "acl";
  if (error.status !== 400) return "form";
  // services-api.ts names the config key it does not understand: "Hsts='forever': expected ...".
  if (/\b(RedirectToHttps|Hsts)='/.test(error.message)) return "https";
  // The API names the id in its id errors ("can not use empty ID") and says ACL otherwise.
  return /\bacl\b/i.test(error.message) || !/\bid\b/i.test(error.message) ? "acl" : "id";
}

function plainWords(error: ApiError): string {
  if (error.status === 409 && error.conflictsWith.length > 0) {
    return `Conflicts with ${error.conflictsWith.length === 1 ? "service" : "services"} ${error.conflictsWith.join(", ")}: ${error.message}`;
  }
  if (error.status === 503) return `Rules cannot be changed right now: ${error.message}`;
  return capitalise(error.message);
}

function capitalise(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}
