/**
 * A loopback TCP proxy the tests put between a store and ZooKeeper to cut the
 * network without touching the server: refuse connections (a partition, long
 * enough for the server to expire the session) or swallow bytes on open
 * connections (a peer that stopped answering without closing).
 */

import type { Socket, TCPSocketListener } from "bun";

export type ProxyMode = "pass" | "refuse" | "blackhole";

interface Pair {
  client: Socket<Pair>;
  upstream: Socket<Pair> | null;
  pending: Uint8Array[];
}

/** A running proxy; `address` is what the store connects to. */
export interface TcpProxy {
  readonly address: string;
  /** Applies to new and existing connections ("refuse" closes the existing ones). */
  setMode(mode: ProxyMode): void;
  stop(): void;
}

/** Starts a proxy on a free loopback port forwarding to 127.0.0.1:`targetPort`. */
export function startTcpProxy(targetPort: number): TcpProxy {
  let mode: ProxyMode = "pass";
  const pairs = new Set<Pair>();

  const close = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.end();
    pair.upstream?.end();
  };

  const listener: TCPSocketListener<Pair> = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        const pair: Pair = { client, upstream: null, pending: [] };
        client.data = pair;
        if (mode === "refuse") {
          client.end();
          return;
        }
        pairs.add(pair);
        Bun.connect<Pair>({
          hostname: "127.0.0.1",
          port: targetPort,
          data: pair,
          socket: {
            open(upstream) {
              pair.upstream = upstream;
              for (const chunk of pair.pending.splice(0)) upstream.write(chunk);
            },
            data(_upstream, chunk) {
              if (mode === "pass") pair.client.write(chunk);
            },
            close() {
              close(pair);
            },
            error() {
              close(pair);
            },
          },
        }).catch(() => close(pair));
      },
      data(client, chunk) {
        const pair = client.data;
        if (mode !== "pass") return;
        if (pair.upstream) pair.upstream.write(chunk);
        else pair.pending.push(new Uint8Array(chunk));
      },
      close(client) {
        close(client.data);
      },
      error(client) {
        close(client.data);
      },
    },
  });

  return {
    address: `127.0.0.1:${listener.port}`,
    setMode(next) {
      mode = next;
      if (next === "refuse") for (const pair of [...pairs]) close(pair);
    },
    stop() {
      for (const pair of [...pairs]) close(pair);
      listener.stop(true);
    },
  };
}
