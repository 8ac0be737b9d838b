/**
 * JavaScriptCore options that bound bamboo's memory, fixed before the engine starts.
 *
 * Heap growth. On a machine with 16 GB of RAM or more, JSC lets the heap grow to three times
 * what the last full collection left before collecting again, and it sizes that from the
 * machine's RAM, not from the container's memory limit. bamboo's heap is mostly what it keeps
 * (apps, rules, the rendered config: 75 MB at 10,000 apps), so the headroom is tens of MB that
 * get touched and stay resident. Measured at 10,000 apps (scripts/bench/routing.ts, writes and
 * memory; docs/benchmarks.md): JSC's default 183-184 MiB RSS, 198-200 MiB peak, rule write p99
 * 72-95 ms; growth to 2x 177-180 MiB, 186-191 MiB peak, p99 94 ms; growth to 1.3x 160-174 MiB
 * but write p99 104-137 ms, over its 100 ms target: each collection costs milliseconds at that
 * heap. Without the lower eden ratio a young generation under a third of the heap makes every
 * collection a full one, which cost both memory and time.
 *
 * No FTL. JSC's top compiler tier is the largest part of its code that bamboo would touch, and
 * it allocates as it compiles; bamboo's hot paths (a render, a diff, a rule check) are as fast
 * in the tier below. At 10,000 apps, alternate runs with and without it (docs/benchmarks.md):
 * peak 181-183 MiB without against 186-188 MiB with, rule write p99 86-106 ms against 87-95
 * ms, event → routable p99 65-104 ms against 90-91 ms.
 *
 * JSC reads these options once, from the environment. So `bamboo serve` re-executes itself
 * once with them set: the same executable, arguments and pid (PID 1 stays PID 1). An operator
 * who sets any of them decides all.
 */
export const ENGINE_OPTIONS: Readonly<Record<string, string>> = {
  // Growth is 1 + this on machines with 16 GB or more; smaller ones grow by at most 2 already.
  BUN_JSC_heapGrowthMaxIncrease: "1",
  BUN_JSC_minEdenToOldGenerationRatio: "0.05",
  BUN_JSC_useFTLJIT: "0",
};

export interface Exec {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The exec that restarts the executable with {@link ENGINE_OPTIONS}, or null when any of
 * them is already set, or bamboo runs from source (`bun src/main.ts`: no one executable to
 * restart).
 */
export function engineOptionsExec(env: Readonly<Record<string, string | undefined>>, execPath: string, argv: readonly string[]): Exec | null {
  if (Object.keys(ENGINE_OPTIONS).some((name) => env[name] !== undefined)) return null;
  // A standalone executable names its embedded entry point as argv[1]; Bun adds it again on exec.
  if (!argv[1]?.startsWith("/$bunfs/")) return null;
  const kept = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { file: execPath, args: [execPath, ...argv.slice(2)], env: { ...kept, ...ENGINE_OPTIONS } };
}
