/**
 * How far JavaScriptCore lets bamboo's heap grow between collections, fixed before the engine
 * starts.
 *
 * On a machine with 16 GB of RAM or more, JSC lets the heap grow to three times what the last
 * full collection left before collecting again, and it sizes that from the machine's RAM,
 * not from the container's memory limit. bamboo's heap is mostly what it keeps (apps, rules,
 * the rendered config: 75 MB at 10,000 apps), so the headroom is tens of MB that get touched
 * and stay resident. Measured at 10,000 apps (scripts/bench/routing.ts, writes and memory;
 * docs/benchmarks.md): JSC's default 183-184 MiB RSS, 198-200 MiB peak, rule write p99 72-95
 * ms; growth to 2x 177-180 MiB, 186-191 MiB peak, p99 94 ms; growth to 1.3x 160-174 MiB but
 * write p99 104-137 ms, over its 100 ms target: each collection costs milliseconds at that
 * heap. Without the lower eden ratio a young generation under a third of the heap makes
 * every collection a full one, which cost both memory and time.
 *
 * JSC reads these options once, from the environment. So `bamboo serve` re-executes itself
 * once with them set: the same executable, arguments and pid (PID 1 stays PID 1). An operator
 * who sets either decides both.
 */
export const HEAP_GROWTH_OPTIONS: Readonly<Record<string, string>> = {
  // Growth is 1 + this on machines with 16 GB or more; smaller ones grow by at most 2 already.
  BUN_JSC_heapGrowthMaxIncrease: "1",
  BUN_JSC_minEdenToOldGenerationRatio: "0.05",
};

export interface Exec {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The exec that restarts the executable with {@link HEAP_GROWTH_OPTIONS}, or null when any of
 * them is already set, or bamboo runs from source (`bun src/main.ts`: no one executable to
 * restart).
 */
export function heapGrowthExec(env: Readonly<Record<string, string | undefined>>, execPath: string, argv: readonly string[]): Exec | null {
  if (Object.keys(HEAP_GROWTH_OPTIONS).some((name) => env[name] !== undefined)) return null;
  // A standalone executable names its embedded entry point as argv[1]; Bun adds it again on exec.
  if (!argv[1]?.startsWith("/$bunfs/")) return null;
  const kept = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { file: execPath, args: [execPath, ...argv.slice(2)], env: { ...kept, ...HEAP_GROWTH_OPTIONS } };
}
