import { useEffect, useState } from "preact/hooks";
import { appPath } from "./api.ts";

/** The views reached from the header's tabs, and one app's page (`#/apps/<id>`). */
export type View = "apps" | "app" | "test" | "state" | "certificates";
const TABS: readonly View[] = ["apps", "test", "state", "certificates"];

export interface HashView {
  readonly view: View;
  /** The app whose page is open (`view` "app"), with its leading slash. */
  readonly appId: string | null;
}

/** The hash of an app's page: `/shop/api` → `#/apps/shop/api`, each segment escaped. */
export function appHash(id: string): string {
  return `#/apps/${appPath(id)}`;
}

/** What a URL's hash opens; anything unknown opens the apps list. */
export function parseHash(hash: string): HashView {
  const name = hash.replace(/^#\/?/, "");
  if (name.startsWith("apps/") && name.length > "apps/".length) {
    try {
      return { view: "app", appId: `/${name.slice("apps/".length).split("/").map(decodeURIComponent).join("/")}` };
    } catch {
      // Broken percent-encoding typed by hand: fall through to the apps list.
    }
  }
  return { view: (TABS as readonly string[]).includes(name) ? (name as View) : "apps", appId: null };
}

/** The open view lives in the URL's hash, so back/forward and bookmarks work without a router. */
export function useHashView(): HashView {
  const [view, setView] = useState<HashView>(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setView(parseHash(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return view;
}
