/**
 * HAProxy keeps idle connections to servers for reuse only while the file descriptors in use
 * stay under `tune.pool-low-fd-ratio` (20 %) of all it may open, and closes them above
 * `tune.pool-high-fd-ratio` (25 %). Listening sockets count as in use: 10,000 service ports
 * put HAProxy over both for good, so every request opened a new server connection, and the
 * shared frontend served half the requests per second (measured on HAProxy 2.6.12: 9k against
 * 21k req/s). The ratios are moved up by the listeners' share, so the other descriptors keep
 * the headroom HAProxy's defaults give them. Pure.
 */
export function poolFdRatios(listeningSockets: number, maxConn: number): { readonly low: number; readonly high: number } {
  // HAProxy sizes its descriptors as two per connection plus one per listener.
  const share = listeningSockets / (2 * maxConn + listeningSockets);
  const shifted = (ratio: number) => Math.min(99, Math.ceil(100 * (share + (ratio / 100) * (1 - share))));
  return { low: shifted(DEFAULT_LOW), high: shifted(DEFAULT_HIGH) };
}

const DEFAULT_LOW = 20;
const DEFAULT_HIGH = 25;
