import { expect, test } from "bun:test";
import fc from "fast-check";
import { ServiceSet } from "../../src/store/service-set.ts";
import { makeService } from "../../src/store/types.ts";

test("kept up to date from list to list, it answers what a fresh set answers", () => {
  const ids = ["/a", "/b", "/b/c", "/d", "/e", "/z"];
  const listArb = fc.uniqueArray(fc.tuple(fc.constantFrom(...ids), fc.constantFrom("", "path_beg /x", "hdr(host) -i a.example")), { selector: ([id]) => id, maxLength: 6 });
  fc.assert(
    fc.property(fc.array(fc.tuple(listArb, fc.boolean()), { minLength: 1, maxLength: 6 }), (steps) => {
      const kept = new ServiceSet();
      for (const [entries, sorted] of steps) {
        const services = entries.map(([id, acl]) => makeService(id, acl));
        // Sorted as a file store hands them over, or in any order as a ZooKeeper read does.
        if (sorted) services.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        kept.replaceAll(services);
        const fresh = new ServiceSet();
        fresh.replaceAll(services);
        expect(kept.list()).toEqual(fresh.list());
        for (const id of ids) expect(kept.get(id)).toEqual(fresh.get(id));
      }
    }),
    { numRuns: 300, seed: 16 },
  );
});
