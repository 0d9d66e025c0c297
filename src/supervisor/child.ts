/**
 * One supervised child process: started in a process group of its own, its output read line by
 * line, stopped with TERM and then KILL to the whole group, and reported once when it is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';

import type { RunAs } from './config.js';

export interface SpawnSpec {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd: string;
  runAs: RunAs | null;
}

export type OutputStream = 'stdout' | 'stderr';

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the supervisor asked it to stop. */
  requested: boolean;
  /** True when it had to be killed after its grace period. */
  forced: boolean;
  /** Its last lines of output, stdout and stderr interleaved. */
  lines: string[];
  /** Why it could not be started at all (ENOENT, EACCES, …), or null. */
  spawnError: string | null;
  at: Date;
}

export interface ChildHandlers {
  onLine(stream: OutputStream, line: string): void;
  onExit(exit: ChildExit): void;
}

const KEPT_LINES = 40;
const LINE_LIMIT = 4096;
// After the exit, output still in the pipes is read for this long before the exit is reported.
const DRAIN_MS = 250;

/** A running child; `onExit` is called exactly once. */
export class ManagedChild {
  readonly startedAt = new Date();
  readonly #process: ChildProcess;
  readonly #handlers: ChildHandlers;
  readonly #lines: string[] = [];
  #requested = false;
  #forced = false;
  #exited = false;
  #finished = false;
  #killTimer: NodeJS.Timeout | undefined;
  readonly #waiters: Array<() => void> = [];

  constructor(spec: SpawnSpec, handlers: ChildHandlers) {
    this.#handlers = handlers;
    this.#process = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      // A group of its own: one signal reaches the child and everything it started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(spec.runAs ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
    });
    this.#readLines(this.#process.stdout, 'stdout');
    this.#readLines(this.#process.stderr, 'stderr');
    this.#process.on('error', (error: NodeJS.ErrnoException) => this.#spawnFailed(error));
    this.#process.on('exit', (code, signal) => this.#exitedWith(code, signal));
  }

  /** The child's pid; undefined when it could not be started. */
  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return !this.#exited && this.#process.pid !== undefined;
  }

  /** TERM to the group, KILL after `graceMs`; resolves once the exit has been reported. */
  stop(graceMs: number): Promise<void> {
    const done = new Promise<void>((resolve) => {
      if (this.#finished) resolve();
      else this.#waiters.push(resolve);
    });
    if (this.#exited || this.#requested) return done;
    this.#requested = true;
    this.#signalGroup('SIGTERM');
    this.#killTimer = setTimeout(() => {
      this.#forced = true;
      this.#signalGroup('SIGKILL');
    }, graceMs);

    return done;
  }

  /** KILLs the whole group now, whether or not a stop is under way. */
  kill(): void {
    if (this.#exited) return;
    this.#forced = true;
    this.#signalGroup('SIGKILL');
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#process.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already; the child itself may still be exiting.
      this.#process.kill(signal);
    }
  }

  #readLines(stream: NodeJS.ReadableStream | null, name: OutputStream): void {
    if (!stream) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!.slice(0, LINE_LIMIT);
      for (const line of parts) this.#addLine(name, line.slice(0, LINE_LIMIT));
    });
    stream.on('end', () => {
      if (partial !== '') this.#addLine(name, partial);
      partial = '';
    });
  }

  #addLine(stream: OutputStream, line: string): void {
    const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
    this.#lines.push(clean);
    if (this.#lines.length > KEPT_LINES) this.#lines.shift();
    this.#handlers.onLine(stream, clean);
  }

  #spawnFailed(error: NodeJS.ErrnoException): void {
    if (this.#process.pid !== undefined && !this.#exited) return;
    this.#exited = true;
    this.#finish(null, null, `${error.code ?? 'error'}: ${error.message}`);
  }

  #exitedWith(code: number | null, signal: NodeJS.Signals | null): void {
    this.#exited = true;
    clearTimeout(this.#killTimer);
    // Whatever the child left in its group (grandchildren, stuck helpers) goes with it.
    this.#signalGroup('SIGKILL');
    const drained = () => this.#finish(code, signal, null);
    if (
      this.#process.stdout?.readableEnded !== false &&
      this.#process.stderr?.readableEnded !== false
    ) {
      drained();
      return;
    }
    const timer = setTimeout(drained, DRAIN_MS);
    this.#process.once('close', () => {
      clearTimeout(timer);
      drained();
    });
  }

  #finish(code: number | null, signal: NodeJS.Signals | null, spawnError: string | null): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#killTimer);
    this.#handlers.onExit({
      code,
      signal,
      requested: this.#requested,
      forced: this.#forced,
      lines: [...this.#lines],
      spawnError,
      at: new Date(),
    });
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}
