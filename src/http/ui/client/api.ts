import {
  UI_REQUEST_HEADER,
  type ApiErrorBody,
  type ApplianceStatus,
  type DryRunAnswer,
  type RequestTestAnswer,
  type RequestTestBody,
  type ServiceWriteBody,
  type WireService,
} from "../api-types.ts";
import { basicAuthHeader, loadCredentials, saveCredentials, type Credentials } from "./credentials.ts";

/** An answer other than 2xx, with the API's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly conflictsWith: readonly string[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The user closed the sign-in prompt: the call was not sent again and nothing was written. */
export class SignInCancelled extends Error {
  constructor() {
    super("sign-in cancelled; nothing was saved");
    this.name = "SignInCancelled";
  }
}

/** Asks the user for the API credentials; resolves null when they cancel. */
export type CredentialsPrompt = (reason: string) => Promise<Credentials | null>;

interface CallOptions {
  readonly method?: string;
  readonly body?: unknown;
  /** On a 401, ask for credentials and send again; off for background checks. */
  readonly askOn401?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * The appliance's API as the page calls it. One instance per page (main.tsx), handed to
 * components through ApiContext; the sign-in dialog gives it its prompt when it mounts, so
 * this needs no knowledge of the page.
 */
export class ApiClient {
  #prompt: CredentialsPrompt = async () => null;

  setCredentialsPrompt(prompt: CredentialsPrompt): void {
    this.#prompt = prompt;
  }

  status(signal?: AbortSignal): Promise<ApplianceStatus> {
    return this.#call<ApplianceStatus>("/api/status", { signal });
  }

  requestTest(body: RequestTestBody): Promise<RequestTestAnswer> {
    return this.#call<RequestTestAnswer>("/api/request-test", { method: "POST", body });
  }

  /** Creating uses POST (the id goes in the body); changing uses PUT on the service's path. */
  dryRun(body: ServiceWriteBody, existing: boolean, askOn401: boolean, signal?: AbortSignal): Promise<DryRunAnswer> {
    return this.#call<DryRunAnswer>(`${writePath(body.id, existing)}?dryRun=true`, { method: existing ? "PUT" : "POST", body, askOn401, signal });
  }

  save(body: ServiceWriteBody, existing: boolean): Promise<WireService> {
    return this.#call<WireService>(writePath(body.id, existing), { method: existing ? "PUT" : "POST", body, askOn401: true });
  }

  remove(id: string): Promise<null> {
    return this.#call<null>(servicePath(id), { method: "DELETE", askOn401: true });
  }

  async #call<T>(path: string, options: CallOptions = {}): Promise<T> {
    for (;;) {
      const credentials = loadCredentials();
      const headers: Record<string, string> = { accept: "application/json", [UI_REQUEST_HEADER]: "1" };
      if (options.body !== undefined) headers["content-type"] = "application/json";
      if (credentials) headers.authorization = basicAuthHeader(credentials);
      const response = await fetch(path, {
        method: options.method ?? "GET",
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        // The page keeps its own credentials; never let the browser attach remembered ones.
        credentials: "omit",
      });
      if (response.ok) return (await response.json()) as T;
      const error = await readError(response);
      if (response.status !== 401 || !options.askOn401) throw error;
      const reason = credentials ? "That user and password were not accepted. Try again." : "Changing routing rules needs the API user and password.";
      const entered = await this.#prompt(reason);
      if (!entered) throw new SignInCancelled();
      saveCredentials(entered);
    }
  }
}

async function readError(response: Response): Promise<ApiError> {
  const raw = await response.text();
  try {
    const body = JSON.parse(raw) as Partial<ApiErrorBody>;
    if (typeof body.error === "string") return new ApiError(response.status, body.error, Array.isArray(body.conflictsWith) ? body.conflictsWith : []);
  } catch {
    // Not JSON (a proxy in between, or an older appliance): use the text or the status.
  }
  return new ApiError(response.status, raw.trim() || `the appliance answered ${response.status} ${response.statusText}`);
}

function writePath(id: string, existing: boolean): string {
  return existing ? servicePath(id) : "/api/services";
}

/** Ids keep their slashes (`/group/app` → `/api/services//group/app`, Bamboo's form); each segment is escaped. */
function servicePath(id: string): string {
  return `/api/services/${id.split("/").map(encodeURIComponent).join("/")}`;
}
