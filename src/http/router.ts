import { errorResponse, errorResponseTo, HttpError } from "./errors.ts";

export type Handler = (request: Request, params: { readonly rest: string }) => Response | Promise<Response>;

interface Route {
  readonly method: string;
  /** Exact path, or a prefix ending in "/*" whose remainder is passed as `rest`. */
  readonly path: string;
  readonly handler: Handler;
}

/**
 * A deliberately small router: Bamboo's paths are few, and service ids contain slashes,
 * so a prefix match with the remainder handed over is all that is needed.
 */
export class Router {
  readonly #routes: Route[] = [];

  constructor(private readonly onError: (error: unknown, request: Request) => void) {}

  on(method: string, path: string, handler: Handler): this {
    this.#routes.push({ method, path, handler });
    return this;
  }

  async handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    let pathMatched = false;
    for (const route of this.#routes) {
      let rest: string | undefined;
      try {
        rest = matchPath(route.path, path);
      } catch {
        return errorResponse(new HttpError(400, `the path is not valid percent-encoding: ${path}`));
      }
      if (rest === undefined) continue;
      pathMatched = true;
      if (route.method !== request.method && !(route.method === "GET" && request.method === "HEAD")) continue;
      try {
        return await route.handler(request, { rest });
      } catch (error) {
        if (error instanceof HttpError) return errorResponseTo(request, error);
        this.onError(error, request);
        return errorResponse(new HttpError(500, "internal error; the appliance log has the details"));
      }
    }
    return errorResponse(pathMatched ? new HttpError(405, `${request.method} is not allowed on ${path}`) : new HttpError(404, `no such path: ${path}`));
  }
}

function matchPath(pattern: string, path: string): string | undefined {
  if (pattern.endsWith("/*")) {
    const prefix = pattern.slice(0, -1);
    return path.startsWith(prefix) ? decodeURIComponent(path.slice(prefix.length)) : undefined;
  }
  return pattern === path ? "" : undefined;
}
