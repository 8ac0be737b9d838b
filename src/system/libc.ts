/**
 * The two libc calls PID 1 duty needs and Bun does not expose: waitpid for one given pid,
 * and prctl to become a child subreaper. Opened lazily so that importing this module costs
 * nothing on a machine where it is never used.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

const WNOHANG = 1;
const PR_SET_CHILD_SUBREAPER = 36;

type Libc = ReturnType<typeof open>;
let libc: Libc | null = null;

function open() {
  return dlopen("libc.so.6", {
    waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  }).symbols;
}

function symbols(): Libc {
  libc ??= open();
  return libc;
}

/** Outcome of reaping one pid. */
export type WaitResult =
  | { readonly kind: "reaped"; readonly exitCode: number | null; readonly signal: number | null }
  | { readonly kind: "not-exited" }
  | { readonly kind: "not-ours" };

/**
 * `waitpid(pid, WNOHANG)` for exactly one pid. Never call it with -1: that would also collect
 * children Bun spawned and is waiting for, and their exit codes would be lost.
 */
export function waitPidNoHang(pid: number): WaitResult {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`waitpid needs one positive pid, got ${pid}`);
  const status = new Int32Array(1);
  const result = symbols().waitpid(pid, ptr(status), WNOHANG);
  if (result === 0) return { kind: "not-exited" };
  // -1: ECHILD, someone (Bun) reaped it first, or it is not our child.
  if (result !== pid) return { kind: "not-ours" };
  const raw = status[0]!;
  const termSignal = raw & 0x7f;
  return termSignal === 0 ? { kind: "reaped", exitCode: (raw >> 8) & 0xff, signal: null } : { kind: "reaped", exitCode: null, signal: termSignal };
}

/**
 * Makes this process the reaper of its descendants' orphans, as PID 1 is for the whole
 * namespace. Returns false when the kernel refuses.
 */
export function becomeSubreaper(): boolean {
  return symbols().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0;
}
