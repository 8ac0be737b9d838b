import { backoffDelay, type BackoffPolicy } from "./backoff.ts";

/** After a failed step: run it again at once, after the backoff, or not at all. */
export type AfterFailure = "now" | "later" | "drop";

/**
 * An async step run one at a time. Asked for while it runs, it runs once more after it (the
 * step reads the state of its owner, so one more run catches up with any number of asks).
 * When it fails, `failed` says what next; "later" waits a backoff that grows with the failures
 * in a row, and asks meanwhile wait for it too, so a failing peer is not hammered.
 */
export class SerialRetry {
  #running = false;
  #again = false;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly step: () => Promise<void>,
    private readonly failed: (error: unknown, failures: number) => AfterFailure,
    private readonly backoff: BackoffPolicy,
  ) {}

  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer !== null) return;
    this.#running = true;
    this.step()
      .then(
        () => {
          this.#failures = 0;
        },
        (error: unknown) => {
          this.#failures += 1;
          const after = this.failed(error, this.#failures);
          if (after === "now") this.#again = true;
          else if (after === "later") {
            this.#timer = setTimeout(() => {
              this.#timer = null;
              this.request();
            }, backoffDelay(this.#failures, this.backoff));
          }
        },
      )
      .finally(() => {
        this.#running = false;
        if (this.#again) {
          this.#again = false;
          this.request();
        }
      });
  }

  /** Forgets a waiting retry and the failures so far: the owner stops, or starts over (a new session). */
  cancel(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#again = false;
    this.#failures = 0;
  }
}
