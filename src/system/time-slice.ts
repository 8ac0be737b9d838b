/**
 * Long scans on the event loop (HAProxy's answers of several megabytes at 10,000 apps) give
 * way to other work every few milliseconds, so a Marathon event that arrives meanwhile is
 * applied after at most one slice, not after the whole scan.
 */
export class TimeSlice {
  #since = performance.now();

  constructor(
    private readonly budgetMs = 4,
    private readonly yieldTurn: () => Promise<void> = nextTurn,
  ) {}

  /** True once the slice's budget is spent: the caller then awaits {@link pause}. Cheap enough to ask per line. */
  due(): boolean {
    return performance.now() - this.#since >= this.budgetMs;
  }

  async pause(): Promise<void> {
    await this.yieldTurn();
    this.#since = performance.now();
  }
}

/** One turn of the event loop: timers and I/O that are ready run first. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
