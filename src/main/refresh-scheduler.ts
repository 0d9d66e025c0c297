/**
 * Keeps the status fresh without spinning: at most one refresh every `activeIntervalMs` while
 * the menu or a window is open, every `idleIntervalMs` otherwise, none while the Mac sleeps, and
 * one at once after an action or on wake. Refreshes never overlap. The clock is injected, so
 * tests drive time by hand.
 */

/** Timers and time, as the scheduler needs them. */
export interface SchedulerClock {
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export interface RefreshSchedulerOptions {
  refresh: () => Promise<void>;
  clock: SchedulerClock;
  activeIntervalMs?: number;
  idleIntervalMs?: number;
}

/** The real clock of the process. */
export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class RefreshScheduler {
  readonly #refresh: () => Promise<void>;
  readonly #clock: SchedulerClock;
  readonly #activeIntervalMs: number;
  readonly #idleIntervalMs: number;
  readonly #activeReasons = new Set<string>();
  #timer: unknown = null;
  #started = false;
  #asleep = false;
  #running = false;
  #runAgain = false;
  #lastStartedAt = Number.NEGATIVE_INFINITY;

  constructor(options: RefreshSchedulerOptions) {
    this.#refresh = options.refresh;
    this.#clock = options.clock;
    this.#activeIntervalMs = options.activeIntervalMs ?? 2_000;
    this.#idleIntervalMs = options.idleIntervalMs ?? 10_000;
  }

  /** The current spacing between refreshes. */
  get intervalMs(): number {
    return this.#activeReasons.size > 0 ? this.#activeIntervalMs : this.#idleIntervalMs;
  }

  /** True while a refresh is running. */
  get refreshing(): boolean {
    return this.#running;
  }

  /** Starts with one refresh at once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#run();
  }

  /** Stops scheduling; a refresh already running finishes. */
  stop(): void {
    this.#started = false;
    this.#cancelTimer();
  }

  /** Marks a reason to refresh often (`menu`, `window:3`) as present or gone. */
  setActive(reason: string, active: boolean): void {
    if (active) this.#activeReasons.add(reason);
    else this.#activeReasons.delete(reason);
    this.#schedule();
  }

  /** The Mac goes to sleep: no refresh until `resume`. */
  suspend(): void {
    this.#asleep = true;
    this.#cancelTimer();
  }

  /** The Mac woke up: refresh at once. */
  resume(): void {
    this.#asleep = false;
    this.refreshNow();
  }

  /** Refreshes at once (after an action), or right after the refresh that is running. */
  refreshNow(): void {
    if (!this.#started || this.#asleep) return;
    if (this.#running) {
      this.#runAgain = true;
      return;
    }
    this.#cancelTimer();
    void this.#run();
  }

  #schedule(): void {
    if (!this.#started || this.#asleep || this.#running) return;
    this.#cancelTimer();
    const delay = Math.max(0, this.#lastStartedAt + this.intervalMs - this.#clock.now());
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = null;
      void this.#run();
    }, delay);
  }

  #cancelTimer(): void {
    if (this.#timer === null) return;
    this.#clock.clearTimer(this.#timer);
    this.#timer = null;
  }

  async #run(): Promise<void> {
    this.#running = true;
    this.#lastStartedAt = this.#clock.now();
    try {
      await this.#refresh();
    } catch {
      // The refresh reports its own failures; the schedule goes on.
    } finally {
      this.#running = false;
    }
    if (this.#runAgain && this.#started && !this.#asleep) {
      this.#runAgain = false;
      void this.#run();
      return;
    }
    this.#runAgain = false;
    this.#schedule();
  }
}
