import { bundleUi } from "./bundle-macro.ts" with { type: "macro" };

/**
 * Serves the web UI: the page at `/` and its two assets under `/ui/`. The files were bundled
 * when this module was transpiled (see bundle-macro.ts), so nothing is read from disk and the
 * executable needs no files beside it.
 */
const bundle = bundleUi();

const JS_PATH = `/ui/app-${bundle.hash}.js`;
const CSS_PATH = `/ui/app-${bundle.hash}.css`;

/** The page must be revalidated so a new build's asset names are picked up at once. */
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  // Everything the page needs comes from this origin; inline styles are set by Preact only.
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
} as const;

/** Hashed names never change content, so browsers may keep them for a year. */
const ASSET_CACHE = "public, max-age=31536000, immutable";

/**
 * Answers GET/HEAD for `/` and `/ui/*`; anything else under `/ui/` is a 404 in plain words.
 * Shaped like a Router handler so it mounts with `router.on("GET", "/", serveUi)`.
 */
export function serveUi(request: Request): Response {
  const path = new URL(request.url).pathname;
  if (path === "/" || path === "/index.html") return new Response(bundle.html, { headers: PAGE_HEADERS });
  if (path === JS_PATH) return asset(bundle.js, "text/javascript; charset=utf-8");
  if (path === CSS_PATH) return asset(bundle.css, "text/css; charset=utf-8");
  return new Response(JSON.stringify({ error: `no such path: ${path}` }), {
    status: 404,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { "content-type": type, "cache-control": ASSET_CACHE, "x-content-type-options": "nosniff" } });
}

/** Sizes of the bundled files, for the load benchmark and the log line at start. */
export const uiAssetSizes = { js: bundle.js.length, css: bundle.css.length, html: bundle.html.length } as const;
