/**
 * When to restart a service that exited unexpectedly, and when to give up on it: the delay
 * doubles with each failure inside the window, up to a cap, and the service is given up once the
 * window holds `limit` failures. Failures older than the window are forgotten, so a service that
 * ran well for a while starts again from the first delay.
 */
export interface RestartPolicyOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  limit: number;
  windowMs: number;
}

/** What to do after one more failure. */
export interface RestartDecision {
  giveUp: boolean;
  delayMs: number;
  /** Failures inside the window, this one included. */
  failures: number;
}

/** Restart bookkeeping for one service. */
export class RestartPolicy {
  readonly options: RestartPolicyOptions;
  readonly #clock: () => number;
  #failures: number[] = [];

  constructor(options: RestartPolicyOptions, clock: () => number = Date.now) {
    this.options = options;
    this.#clock = clock;
  }

  /** Records a failure now and decides. */
  recordFailure(): RestartDecision {
    const now = this.#clock();
    this.#failures = [...this.#failures.filter((at) => now - at < this.options.windowMs), now];
    const failures = this.#failures.length;
    const delayMs = Math.min(
      this.options.maxDelayMs,
      this.options.baseDelayMs * 2 ** (failures - 1),
    );

    return { giveUp: failures >= this.options.limit, delayMs, failures };
  }
}
