import { connect } from "node:tls";

/**
 * The SHA-256 fingerprint of the certificate a TLS server on 127.0.0.1 presents for
 * `servername` (SNI), or "" when the handshake fails; bounded by a 2 s timeout.
 */
export function presentedFingerprint(port: number, servername: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
      const certificate = socket.getPeerX509Certificate();
      socket.end();
      resolve(certificate?.fingerprint256 ?? "");
    });
    socket.on("error", () => resolve(""));
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve("");
    });
  });
}
