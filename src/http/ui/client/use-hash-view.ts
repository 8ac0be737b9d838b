import { useEffect, useState } from "preact/hooks";

export type View = "apps" | "test" | "state" | "certificates";
const VIEWS: readonly View[] = ["apps", "test", "state", "certificates"];

function fromHash(): View {
  const name = location.hash.replace(/^#\/?/, "");
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : "apps";
}

/** The open view lives in the URL's hash, so back/forward and bookmarks work without a router. */
export function useHashView(): View {
  const [view, setView] = useState<View>(fromHash);
  useEffect(() => {
    const update = () => setView(fromHash());
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return view;
}
