/**
 * The error class of the env-file domain: a file that cannot be read or written safely, or a
 * value that the safe env-file grammar does not allow.
 */
import { WorkbenchError } from '../errors.js';

export interface EnvFileErrorDetails {
  /** The file concerned, when there is one. */
  path?: string | null;
  /** A stable code, e.g. `symlink`, `not_regular`, `foreign_owner`, `quoted_value`. */
  code: string;
  line?: number | null;
  hint?: string;
  cause?: unknown;
}

/** An env file that cannot be read or written safely, or a value the grammar refuses. */
export class EnvFileError extends WorkbenchError {
  readonly path: string | null;
  readonly code: string;
  readonly line: number | null;

  constructor(message: string, details: EnvFileErrorDetails) {
    super(message, { hint: details.hint, cause: details.cause });
    this.name = 'EnvFileError';
    this.path = details.path ?? null;
    this.code = details.code;
    this.line = details.line ?? null;
  }
}
