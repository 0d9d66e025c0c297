/**
 * Error classes, one per failure domain. Each carries a short message that names the problem and,
 * where there is one, a hint that says how to fix it. Expected failures are shown without a stack.
 */

/** Base of every error the user may see. `hint` is the one-line fix, when there is one. */
export class WorkbenchError extends Error {
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorkbenchError';
    this.hint = options.hint;
  }

  /** The message and the hint, as one text for a terminal or a dialog. */
  get fullMessage(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }
}

export type CommandFailure = 'not-found' | 'not-executable' | 'timeout' | 'exit' | 'signal';

export interface CommandErrorDetails {
  command: string;
  args: readonly string[];
  failure: CommandFailure;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timeoutMs?: number;
  hint?: string;
  cause?: unknown;
}

/** A run of an external command that did not succeed: not found, timed out, or failed. */
export class CommandError extends WorkbenchError {
  readonly command: string;
  readonly args: readonly string[];
  readonly failure: CommandFailure;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;

  constructor(message: string, details: CommandErrorDetails) {
    super(message, { hint: details.hint, cause: details.cause });
    this.name = 'CommandError';
    this.command = details.command;
    this.args = details.args;
    this.failure = details.failure;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stdout = details.stdout;
    this.stderr = details.stderr;
  }

  /** The first `Error: …` line of stderr, or its first non-empty line, for messages. */
  get firstErrorLine(): string {
    const lines = this.stderr
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    return lines.find((line) => line.startsWith('Error:')) ?? lines[0] ?? '';
  }
}

/** A usage error of the `workbench` command: exit status 2. */
export class UsageError extends WorkbenchError {
  constructor(message: string, options: { hint?: string } = {}) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** Another workbench action holds the lock and did not finish in time. */
export class LockError extends WorkbenchError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'LockError';
  }
}

/** Settings that cannot be read or that fail the schema. */
export class SettingsError extends WorkbenchError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SettingsError';
  }
}

/** The text to show for any error: the full message of ours, the plain message of anything else. */
export function describeError(error: unknown): string {
  if (error instanceof WorkbenchError) return error.fullMessage;
  if (error instanceof Error) return error.message;

  return String(error);
}
