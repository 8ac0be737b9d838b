import { expect, test } from "bun:test";
import type { LoopReadings } from "../../src/http/views.ts";
import { runsService, whenApplied, type AppliedSource } from "../../src/http/write-applied.ts";
import { makeService, type Service } from "../../src/store/types.ts";

/** An appliance reduced to what the wait reads: the services HAProxy runs, pending, reloads. */
function fakeAppliance(services: Service[]) {
  const listeners = new Set<() => void>();
  let state = { services, pending: false, reloads: 0 };
  const source: AppliedSource = {
    readings: () => ({ applied: { snapshot: { services: state.services } }, pending: state.pending ? {} : null, apply: { reloads: state.reloads } }) as unknown as LoopReadings,
    onApplied: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const applied = (next: Partial<typeof state>) => {
    state = { ...state, ...next };
    for (const listener of listeners) listener();
  };
  return { source, applied, listeners };
}

test("answers at the apply that runs the rule, and stops listening", async () => {
  const { source, applied, listeners } = fakeAppliance([]);
  const answer = whenApplied(source, runsService("/a", "hdr(host) -i a.example"), 5_000);
  applied({ services: [makeService("/b", "hdr(host) -i b.example")] });
  applied({ services: [makeService("/a", "hdr(host) -i a.example")], pending: true });
  applied({ pending: false });
  expect(await answer).toBe("runtime");
  expect(listeners.size).toBe(0);
});

test("a reload meanwhile is what applied it", async () => {
  const { source, applied } = fakeAppliance([]);
  const answer = whenApplied(source, runsService("/a", "path_beg -i /a"), 5_000);
  applied({ services: [makeService("/a", "path_beg -i /a")], reloads: 1 });
  expect(await answer).toBe("reload");
});

test("already running: answers at once", async () => {
  const { source } = fakeAppliance([makeService("/a", "path_beg -i /a")]);
  expect(await whenApplied(source, runsService("/a", "path_beg -i /a"), 5_000)).toBe("runtime");
});

test("a deleted rule is applied once HAProxy runs without it", async () => {
  const { source, applied } = fakeAppliance([makeService("/a", "path_beg -i /a")]);
  const answer = whenApplied(source, runsService("/a", null), 5_000);
  applied({ services: [] });
  expect(await answer).toBe("runtime");
});

test("not applied within the wait: pending, and no listener is left behind", async () => {
  const { source, listeners } = fakeAppliance([]);
  expect(await whenApplied(source, runsService("/a", "path_beg -i /a"), 20)).toBe("pending");
  expect(listeners.size).toBe(0);
});
