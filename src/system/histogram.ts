/** A histogram's figures at one moment: cumulative counts per upper bound, as Prometheus reads them. */
export interface HistogramSnapshot {
  /** Upper bounds in ascending order; the implicit last one is +Inf. */
  readonly bounds: readonly number[];
  /** Observations at or below each bound (cumulative), then the total for +Inf. */
  readonly cumulative: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** Seconds from 5 ms to 10 s: what a change takes to reach HAProxy, a reload, an apply. */
export const DURATION_BOUNDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counts of observations per bucket: fixed size whatever is observed. */
export class Histogram {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(private readonly bounds: readonly number[] = DURATION_BOUNDS) {
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let bucket = this.bounds.findIndex((bound) => value <= bound);
    if (bucket < 0) bucket = this.bounds.length;
    this.#counts[bucket]!++;
    this.#sum += value;
    this.#count++;
  }

  snapshot(): HistogramSnapshot {
    let running = 0;
    const cumulative = this.#counts.map((count) => (running += count));
    return { bounds: this.bounds, cumulative, sum: this.#sum, count: this.#count };
  }
}
