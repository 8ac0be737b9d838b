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
