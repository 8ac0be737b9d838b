import {
  UI_REQUEST_HEADER,
  type ApiErrorBody,
  type AppliedBy,
  type ApplianceStatus,
  type AppPortsAnswer,
  type AppTraffic,
  type CertificateList,
  type CertificateUpload,
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

/** What the sign-in prompt says: a title naming what needs it, and why it is shown now. */
export interface SignInRequest {
  readonly title: string;
  readonly reason: string;
}

/** Asks the user for credentials; resolves null when they cancel. */
export type CredentialsPrompt = (request: SignInRequest) => Promise<Credentials | null>;

/**
 * When a 401 (or a viewer's 403 on a write) may open the sign-in prompt: `always` for what
 * the user just asked for, `unless-declined` for the page's own background reads (once the
 * user cancelled, they wait for a sign-in instead of asking again and again), `never` for
 * checks made while typing.
 */
export type AskPolicy = "always" | "unless-declined" | "never";

interface CallOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly ask: AskPolicy;
  /** Changes routing rules or certificates: only the admin may, and a prompt for it says which. */
  readonly writes?: WriteSubject;
  readonly accept?: string;
  readonly signal?: AbortSignal;
}

/** What a write changes, in the sign-in prompt's words. */
type WriteSubject = "routing rules" | "certificates";

const READ_SIGN_IN = "Sign in to see the apps";
const WRITE_SIGN_IN: Readonly<Record<WriteSubject, string>> = { "routing rules": "Sign in to change rules", certificates: "Sign in to change certificates" };
const READ_REASON = "Reading the apps and routing state needs a user and password: the viewer's, or the admin's.";

/**
 * The appliance's API as the page calls it. One instance per page (main.tsx), handed to
 * components through ApiContext; the sign-in dialog gives it its prompt when it mounts, so
 * this needs no knowledge of the page. Every call, reads and the live stream included,
 * carries the credentials the user entered; the browser's own are never used.
 */
export class ApiClient {
  #prompt: CredentialsPrompt = async () => null;
  /** The prompt on screen, shared by every call that needs it meanwhile. */
  #asking: Promise<Credentials | null> | null = null;
  /** The user cancelled the last prompt; background reads wait for a sign-in. */
  #declined = false;
  #onSignedIn: (() => void)[] = [];

  setCredentialsPrompt(prompt: CredentialsPrompt): void {
    this.#prompt = prompt;
  }

  /** Asks for credentials now (the page's Sign in buttons); true once they were entered. */
  async signIn(request: SignInRequest = { title: READ_SIGN_IN, reason: READ_REASON }): Promise<boolean> {
    return (await this.#ask(request)) !== null;
  }

  /** Resolves the next time the user signs in, for reads that wait after a cancelled prompt. */
  whenSignedIn(): Promise<void> {
    return new Promise((resolve) => this.#onSignedIn.push(resolve));
  }

  status(signal?: AbortSignal): Promise<ApplianceStatus> {
    return this.#json<ApplianceStatus>("/api/status", { ask: "unless-declined", signal });
  }

  /** The live overview stream (`/api/events`), opened with the page's credentials; the caller reads the body. */
  events(path: string, signal: AbortSignal): Promise<Response> {
    return this.#send(path, { ask: "unless-declined", accept: "text/event-stream", signal });
  }

  /** One app's traffic at full resolution, with the per-server split when the appliance keeps it. */
  appTraffic(id: string, signal?: AbortSignal): Promise<AppTraffic> {
    return this.#json<AppTraffic>(`/api/traffic/apps/${appPath(id)}`, { ask: "unless-declined", signal });
  }

  /** One app's service ports as HAProxy runs them: mode, listener (or why none) and backend. */
  appPorts(id: string, signal?: AbortSignal): Promise<AppPortsAnswer> {
    return this.#json<AppPortsAnswer>(`/api/apps/${appPath(id)}/ports`, { ask: "unless-declined", signal });
  }

  requestTest(body: RequestTestBody): Promise<RequestTestAnswer> {
    return this.#json<RequestTestAnswer>("/api/request-test", { method: "POST", body, ask: "always" });
  }

  /** Creating uses POST (the id goes in the body); changing uses PUT on the service's path. */
  dryRun(body: ServiceWriteBody, existing: boolean, askOn401: boolean, signal?: AbortSignal): Promise<DryRunAnswer> {
    return this.#json<DryRunAnswer>(`${writePath(body.id, existing)}?dryRun=true`, { method: existing ? "PUT" : "POST", body, ask: askOn401 ? "always" : "never", writes: "routing rules", signal });
  }

  save(body: ServiceWriteBody, existing: boolean): Promise<WireService> {
    return this.#json<WireService>(writePath(body.id, existing), { method: existing ? "PUT" : "POST", body, ask: "always", writes: "routing rules" });
  }

  remove(id: string): Promise<null> {
    return this.#json<null>(servicePath(id), { method: "DELETE", ask: "always", writes: "routing rules" });
  }

  /** One stored service (its whole config), or null when there is none. */
  async service(id: string): Promise<WireService | null> {
    try {
      return await this.#json<WireService>(servicePath(id), { ask: "always" });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  certificates(signal?: AbortSignal): Promise<CertificateList> {
    return this.#json<CertificateList>("/api/certificates", { ask: "unless-declined", signal });
  }

  /** Uploads a bundle (certificate, chain, key); the answer says how HAProxy took it. */
  async uploadCertificate(name: string, pem: string): Promise<CertificateUpload> {
    const response = await this.#send(certificatePath(name), { method: "PUT", body: { pem }, ask: "always", writes: "certificates" });
    return { certificate: (await response.json()) as CertificateUpload["certificate"], applied: appliedBy(response) };
  }

  async removeCertificate(name: string): Promise<AppliedBy | null> {
    const response = await this.#send(certificatePath(name), { method: "DELETE", ask: "always", writes: "certificates" });
    await response.body?.cancel();
    return appliedBy(response);
  }

  /**
   * Whether the signed-in user may change certificates (`GET /api/whoami`), so a viewer is not
   * offered controls that end in 403. Resolves null when nobody is signed in yet (401): the
   * first write will ask.
   */
  async mayWrite(signal?: AbortSignal): Promise<{ readonly allowed: boolean; readonly message: string } | null> {
    if (loadCredentials() === null) return null;
    try {
      const who = await this.#json<{ user: string | null; role: "admin" | "viewer" }>("/api/whoami", { ask: "never", signal });
      if (who.role === "admin") return { allowed: true, message: "" };
      return { allowed: false, message: `signed in as ${who.user ?? "a viewer"}, who may only read: changing certificates needs the admin user (BAMBOO_API_USER)` };
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  }

  async #json<T>(path: string, options: CallOptions): Promise<T> {
    return (await (await this.#send(path, options)).json()) as T;
  }

  async #send(path: string, options: CallOptions): Promise<Response> {
    const write = options.writes !== undefined;
    for (;;) {
      const credentials = loadCredentials();
      const headers: Record<string, string> = { accept: options.accept ?? "application/json", [UI_REQUEST_HEADER]: "1" };
      if (options.body !== undefined) headers["content-type"] = "application/json";
      if (credentials) headers.authorization = basicAuthHeader(credentials);
      const response = await fetch(path, {
        method: options.method ?? "GET",
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        cache: "no-store",
        // The page keeps its own credentials; never let the browser attach remembered ones.
        credentials: "omit",
      });
      if (response.ok) return response;
      const error = await readError(response);
      const refusedViewer = response.status === 403 && write && credentials !== null;
      if ((response.status !== 401 && !refusedViewer) || options.ask === "never") throw error;
      // Someone signed in while this was under way: try with the new credentials first.
      if (!sameCredentials(credentials, loadCredentials())) continue;
      if (options.ask === "unless-declined" && this.#declined) throw new SignInCancelled();
      const subject = options.writes ?? "routing rules";
      const request = refusedViewer
        ? { title: WRITE_SIGN_IN[subject], reason: `Signed in as ${credentials.user}, who may only read. Changing ${subject} needs the admin user and password.` }
        : { title: write ? WRITE_SIGN_IN[subject] : READ_SIGN_IN, reason: credentials ? "That user and password were not accepted. Try again." : write ? `Changing ${subject} needs the admin user and password.` : READ_REASON };
      const entered = await this.#ask(request);
      // Cancelled: a viewer's refusal keeps the appliance's own words.
      if (!entered) throw refusedViewer ? error : new SignInCancelled();
    }
  }

  /** One prompt at a time: calls that need it while it is open wait for its answer. */
  #ask(request: SignInRequest): Promise<Credentials | null> {
    this.#asking ??= this.#prompt(request).then((entered) => {
      this.#asking = null;
      this.#declined = entered === null;
      if (entered) {
        saveCredentials(entered);
        for (const resolve of this.#onSignedIn.splice(0)) resolve();
      }
      return entered;
    });
    return this.#asking;
  }
}

function sameCredentials(a: Credentials | null, b: Credentials | null): boolean {
  return a?.user === b?.user && a?.password === b?.password;
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

function certificatePath(name: string): string {
  return `/api/certificates/${encodeURIComponent(name)}`;
}

function appliedBy(response: Response): AppliedBy | null {
  const value = response.headers.get("x-bamboo-applied");
  return value === "runtime" || value === "reload" || value === "pending" ? value : null;
}

/** An app id in `/api/traffic/apps/<id>`, `/api/apps/<id>/ports` and the app page's hash: `/group/app` → `group/app`, each segment escaped. */
export function appPath(id: string): string {
  return id.replace(/^\//, "").split("/").map(encodeURIComponent).join("/");
}

/** Ids keep their slashes (`/group/app` → `/api/services//group/app`, Bamboo's form); each segment is escaped. */
function servicePath(id: string): string {
  return `/api/services/${id.split("/").map(encodeURIComponent).join("/")}`;
}
