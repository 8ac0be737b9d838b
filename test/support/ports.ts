import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the kernel picks it for a throwaway
 * listener, which is closed before returning. Tests bind it right away, so the window in
 * which another process could take it is small.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("listener has no TCP address"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
