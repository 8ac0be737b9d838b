import { expect, test } from "bun:test";
import fc from "fast-check";
import { isIP } from "node:net";
import { isHostName } from "../../src/compile/agent-addresses.ts";

test("an agent is named by host name exactly when node's isIP says it is no address", () => {
  const hostArb = fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), fc.domain(), fc.string({ unit: fc.constantFrom(..."0123456789.a:"), maxLength: 18 }));
  fc.assert(
    fc.property(hostArb, (host) => {
      expect(isHostName(host)).toBe(host !== "" && isIP(host) === 0);
    }),
    { numRuns: 5_000, seed: 16 },
  );
});
