/**
 * What the response-time charts call their line. HAProxy keeps no percentiles: `rtime` is the
 * mean of the backend's last 1,024 requests, and the page says so instead of calling it a p50.
 */
export const RESPONSE_TITLE = "Mean response time (HAProxy's last 1,024 requests)";
