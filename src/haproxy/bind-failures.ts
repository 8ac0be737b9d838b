/**
 * The ports HAProxy could not listen on, from its alerts when it started or reloaded:
 * `Binding [haproxy.cfg:64] for frontend x: cannot bind socket (Address already in use) for [127.0.0.1:10001]`.
 * Another process on the machine may hold a port an app asks for; knowing which lets the
 * rest of the config be served without it. Pure.
 */
export function unboundPorts(text: string): Map<number, string> {
  const ports = new Map<number, string>();
  for (const match of text.matchAll(/cannot bind socket \(([^)]*)\) for \[([^\]]*):(\d{1,5})\]/g)) {
    ports.set(Number(match[3]), match[1]!);
  }
  return ports;
}
