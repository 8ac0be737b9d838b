import { formatErrors, formatMs, formatRequests } from "./traffic-format.ts";
import { ERRORS, REQUESTS, RESPONSE_MS, type Measure } from "./traffic-state.ts";

/** How the charts of one measure read: the same above the apps and on an app's page. */
export interface MeasureChart {
  readonly measure: Measure;
  readonly key: string;
  readonly title: string;
  readonly format: (value: number | null) => string;
  /** The unit the scale's top is labelled in. */
  readonly unit: string;
  /** The smallest top of the scale, so an idle chart is not stretched to its full height. */
  readonly floor: number;
  /** The line's colour (styles/traffic.css). */
  readonly className: string;
}

/**
 * Requests, 5xx and response time, in the order they are shown. HAProxy keeps no
 * percentiles: `rtime` is the mean of the backend's last 1,024 requests, and the page says so
 * instead of calling it a p50.
 */
export const MEASURE_CHARTS: readonly MeasureChart[] = [
  { measure: REQUESTS, key: "requests", title: "Requests per second", format: formatRequests, unit: "req/s", floor: 1, className: "line-requests" },
  { measure: ERRORS, key: "errors", title: "5xx per second", format: formatErrors, unit: "5xx/s", floor: 1, className: "line-errors" },
  { measure: RESPONSE_MS, key: "response", title: "Mean response time (HAProxy's last 1,024 requests)", format: formatMs, unit: "ms", floor: 10, className: "line-response" },
];
