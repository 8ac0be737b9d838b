/**
 * How far JavaScriptCore lets bamboo's heap grow between collections, fixed before the engine
 * starts.
 *
 * JSC collects the young generation once what was allocated since the last collection reaches
 * a budget proportional to the heap: on a machine with 16 GB or more, up to twice what the
 * last full collection left. bamboo's heap is mostly what it keeps (apps, rules, the rendered
 * config: 78 MB at 10,000 apps), so that budget is tens of MB that get touched and stay
 * resident, and JSC sizes it from the machine's RAM, not from the container's memory limit.
 * Measured at 10,000 apps (scripts/bench/routing.ts): 190 MiB RSS by default, 165 MiB with
 * growth held to 30%; growth held to 20%-50% gave the same event→routable p99
 * (scripts/bench/marathon-scale.ts). Without the lower eden ratio every collection of a
 * budget under a third of the heap is a full one, and those cost the p99.
 *
 * JSC reads these options once, from the environment. So `bamboo serve` re-executes itself
 * once with them set: the same executable, arguments and pid (PID 1 stays PID 1). An operator
 * who sets any of them decides them all.
 */
export const HEAP_GROWTH_OPTIONS: Readonly<Record<string, string>> = {
  // Machines with 16 GB of RAM or more: growth is 1 + this (2 by default).
  BUN_JSC_heapGrowthMaxIncrease: "0.3",
  // Smaller machines: growth by the heap's share of RAM (2 and 1.5 by default).
  BUN_JSC_smallHeapGrowthFactor: "1.3",
  BUN_JSC_mediumHeapGrowthFactor: "1.3",
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
