/**
 * Passes the services' output on to the supervisor's own stdout (what `container logs` shows),
 * each line tagged with its service, secrets cut out, and at most `perSecond` lines a second per
 * service: a bridge that cannot reach the runtime can print a megabyte of stack traces in seconds.
 */
import { escapeControl } from '../core/logger.js';

export interface LineWriter {
  write(text: string): void;
}

/** Forwards one service's lines with a rate limit, counting what it drops. */
export class OutputForwarder {
  readonly #tag: string;
  readonly #perSecond: number;
  readonly #out: LineWriter;
  readonly #clock: () => number;
  #windowStart = 0;
  #inWindow = 0;
  #dropped = 0;

  constructor(tag: string, options: { perSecond: number; out: LineWriter; clock?: () => number }) {
    this.#tag = tag;
    this.#perSecond = options.perSecond;
    this.#out = options.out;
    this.#clock = options.clock ?? Date.now;
  }

  /** Writes `line`, or counts it as dropped when this second's budget is spent. */
  forward(line: string): void {
    const now = this.#clock();
    if (now - this.#windowStart >= 1000) {
      if (this.#dropped > 0)
        this.#out.write(`[${this.#tag}] (${this.#dropped} lines dropped: too much output)\n`);
      this.#windowStart = now;
      this.#inWindow = 0;
      this.#dropped = 0;
    }
    if (this.#inWindow >= this.#perSecond) {
      this.#dropped += 1;
      return;
    }
    this.#inWindow += 1;
    this.#out.write(`[${this.#tag}] ${escapeControl(line)}\n`);
  }
}
