import { UI_REQUEST_HEADER } from "./ui/api-types.ts";

/** An error the API answers with its own status and a JSON body `{"error": message, ...details}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function errorResponse(error: HttpError, options: { challenge?: boolean } = {}): Response {
  const headers: Record<string, string> = {};
  if (error.status === 401 && options.challenge !== false) headers["www-authenticate"] = 'Basic realm="bamboo", charset="UTF-8"';
  return jsonResponse({ error: error.message, ...error.details }, error.status, headers);
}

/**
 * The answer to `request` for `error`. A 401 carries a Basic challenge only where the
 * browser's own prompt is wanted: for scripts and for an API URL opened in the address bar.
 * The page shows its own sign-in form, so its calls (marked with the UI header) and every
 * other request a page makes (Sec-Fetch-Mode other than navigate: index.html's preload,
 * which cannot carry the header) get none, or the native prompt would pop up over the page.
 */
export function errorResponseTo(request: Request, error: HttpError): Response {
  const mode = request.headers.get("sec-fetch-mode");
  const challenge = !request.headers.has(UI_REQUEST_HEADER) && (mode === null || mode === "navigate");
  return errorResponse(error, { challenge });
}
