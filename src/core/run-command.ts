/**
 * Runs external commands the one way this project allows: by absolute path, with an argument
 * vector and no shell, stdin closed unless input is given, and a timeout on every call.
 */
import { spawn } from 'node:child_process';
import { basename, isAbsolute } from 'node:path';

import { CommandError } from './errors.js';

export interface RunOptions {
  /** Hard limit for the whole call; the process gets SIGTERM, then SIGKILL a second later. */
  timeoutMs: number;
  /** Written to stdin, which is then closed. Without it stdin is at EOF from the start. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Largest amount of stdout or stderr kept, each; the rest is dropped. */
  maxOutputBytes?: number;
}

export interface CommandResult {
  command: string;
  args: readonly string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
const KILL_GRACE_MS = 1000;

/** Counts the processes this module started; the benchmark reads it. */
export const commandStats = { started: 0 };

function collect(stream: NodeJS.ReadableStream | null, limit: number): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream?.on('data', (chunk: Buffer) => {
    if (size >= limit) return;
    chunks.push(chunk.subarray(0, limit - size));
    size += chunk.length;
  });

  return () => Buffer.concat(chunks).toString('utf8');
}

function spawnFailure(
  command: string,
  args: readonly string[],
  error: NodeJS.ErrnoException,
): CommandError {
  const name = basename(command);
  if (error.code === 'ENOENT') {
    return new CommandError(`${name} is not installed at ${command}`, {
      command,
      args,
      failure: 'not-found',
      exitCode: null,
      signal: null,
      stdout: '',
      stderr: '',
      cause: error,
    });
  }

  return new CommandError(`cannot run ${command}: ${error.code ?? error.message}`, {
    command,
    args,
    failure: 'not-executable',
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    cause: error,
  });
}

/**
 * Runs a command to its end and returns its exit status and output. A non-zero exit is a result,
 * not an error; a command that cannot start or outlives its timeout rejects with a CommandError.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<CommandResult> {
  if (!isAbsolute(command)) {
    return Promise.reject(
      new CommandError(`refusing to run ${command}: the path is not absolute`, {
        command,
        args,
        failure: 'not-found',
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: '',
      }),
    );
  }
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;

  return new Promise((resolve, reject) => {
    commandStats.started += 1;
    const child = spawn(command, [...args], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    const stdout = collect(child.stdout, limit);
    const stderr = collect(child.stderr, limit);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, options.timeoutMs);

    if (options.input !== undefined) {
      child.stdin?.on('error', () => {});
      child.stdin?.end(options.input);
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      reject(spawnFailure(command, args, error));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      const result = { command, args, exitCode, signal, stdout: stdout(), stderr: stderr() };
      if (!timedOut) return resolve(result);
      const seconds = Math.round(options.timeoutMs / 100) / 10;
      reject(
        new CommandError(
          `${basename(command)} ${args[0] ?? ''} did not answer within ${seconds} s`.replace(
            '  ',
            ' ',
          ),
          {
            ...result,
            failure: 'timeout',
            timeoutMs: options.timeoutMs,
          },
        ),
      );
    });
  });
}

/** Throws a CommandError for a result that did not exit 0, with its first error line. */
export function ensureSuccess(result: CommandResult, describe?: string): CommandResult {
  if (result.exitCode === 0) return result;
  const name = `${basename(result.command)} ${result.args[0] ?? ''}`.trim();
  const failure = result.signal ? 'signal' : 'exit';
  const status = result.signal ? `was killed by ${result.signal}` : `exited ${result.exitCode}`;
  const error = new CommandError(`${describe ?? name} failed: ${name} ${status}`, {
    ...result,
    failure,
  });
  const detail = error.firstErrorLine;
  if (!detail) throw error;

  throw new CommandError(`${describe ?? name} failed: ${detail.replace(/^Error:\s*/, '')}`, {
    ...result,
    failure,
  });
}
