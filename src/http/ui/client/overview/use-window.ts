import { useEffect, useRef, useState } from "preact/hooks";

/** Rows rendered at first: a tall screen's worth, so the first paint and each keystroke stay cheap. */
export const FIRST_ROWS = 30;
/** Rows added each time the end of the list nears the viewport. */
export const WINDOW_STEP = 100;

/**
 * Progressive rendering: only the first rows exist in the DOM, and more are added as the
 * reader nears the end. Unlike fixed-height virtualisation it keeps real table rows of any
 * height (cards on a phone), find-in-page for what is shown, and plain tab order.
 * A new `resetKey` (filter or sort) starts again from the first rows in the same render,
 * so a keystroke never renders the long list once before shrinking it.
 */
export function useWindow(total: number, resetKey: string) {
  const [state, setState] = useState({ key: resetKey, limit: FIRST_ROWS });
  const limit = state.key === resetKey ? state.limit : FIRST_ROWS;
  const sentinel = useRef<HTMLDivElement>(null);
  const grow = () => setState((current) => ({ key: resetKey, limit: (current.key === resetKey ? current.limit : FIRST_ROWS) + WINDOW_STEP }));

  useEffect(() => {
    const element = sentinel.current;
    if (!element || limit >= total) return;
    const observer = new IntersectionObserver((entries) => entries.some((entry) => entry.isIntersecting) && grow(), { rootMargin: "600px" });
    observer.observe(element);
    return () => observer.disconnect();
  }, [limit, total, resetKey]);

  return { limit: Math.min(limit, total), showMore: grow, sentinel };
}
