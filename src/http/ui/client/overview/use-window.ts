import { useEffect, useRef, useState } from "preact/hooks";

/** Rows rendered at first and added each time the end of the list scrolls into view. */
export const WINDOW_STEP = 100;

/**
 * Progressive rendering: only the first rows exist in the DOM, and more are added as the
 * reader nears the end. Unlike fixed-height virtualisation it keeps real table rows of any
 * height (cards on a phone), find-in-page for what is shown, and plain tab order.
 * `resetKey` (the filter and sort) starts again from the first rows.
 */
export function useWindow(total: number, resetKey: string) {
  const [limit, setLimit] = useState(WINDOW_STEP);
  const sentinel = useRef<HTMLDivElement>(null);

  useEffect(() => setLimit(WINDOW_STEP), [resetKey]);

  useEffect(() => {
    const element = sentinel.current;
    if (!element || limit >= total) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) setLimit((current) => current + WINDOW_STEP);
      },
      { rootMargin: "600px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [limit, total]);

  return { limit: Math.min(limit, total), showMore: () => setLimit((current) => current + WINDOW_STEP), sentinel };
}
