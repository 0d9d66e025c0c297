/**
 * The shape of a `workbench` subcommand and the small helpers they share: argument parsing that
 * turns every mistake into a usage error (exit 2), and output that goes through the context so
 * tests can run commands in-process or as real processes alike.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { UsageError } from '../core/errors.js';
import type { Workbench } from '../core/workbench.js';

export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** The core facade, created on first use (so `--help` never touches the home folder). */
  workbench(): Workbench;
}

export interface CliCommand {
  /** The word after `workbench`. */
  name: string;
  /** One line for `workbench --help`. */
  summary: string;
  /** The whole text of `workbench <name> --help`. */
  help: string;
  /** Runs the command with the arguments after its name; resolves to the exit status. */
  run(context: CliContext, args: string[]): Promise<number>;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` strictly: unknown options, missing values and a wrong number of positionals are
 * usage errors naming the command, so the user sees what to type instead.
 */
export function parseCommandArgs(
  command: string,
  args: string[],
  options: OptionSpec,
  positionals: { min: number; max: number } = { min: 0, max: 0 },
): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message
      .split('\n')[0]!
      .replace(/\. To specify a positional.*$/, '');
    throw new UsageError(`${command}: ${message}`, { hint: `see \`workbench ${command} --help\`` });
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) {
    throw new UsageError(`${command}: missing argument`, {
      hint: `see \`workbench ${command} --help\``,
    });
  }
  if (count > positionals.max) {
    const extra = parsed.positionals.slice(positionals.max).join(' ');
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(extra)}`, {
      hint: `see \`workbench ${command} --help\``,
    });
  }

  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

/** Writes one line to stdout. */
export function printLine(context: CliContext, text = ''): void {
  context.stdout.write(`${text}\n`);
}

/** Writes a JSON document to stdout, indented for people, one object for scripts. */
export function printJson(context: CliContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Reads all of stdin as UTF-8 (for `env set`, which never takes a secret from argv). */
export async function readStdin(context: CliContext, limitBytes = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of context.stdin as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > limitBytes)
      throw new UsageError(`the value on stdin is longer than ${limitBytes} bytes`);
    chunks.push(buffer);
  }

  return Buffer.concat(chunks).toString('utf8');
}

/** `workbench <command> <sub>`: picks the subcommand or throws a usage error listing the choices. */
export function pickSubcommand<T extends string>(
  command: string,
  args: string[],
  choices: readonly T[],
): { sub: T; rest: string[] } {
  const [first, ...rest] = args;
  if (first && (choices as readonly string[]).includes(first)) return { sub: first as T, rest };
  const what = first ? `unknown subcommand ${JSON.stringify(first)}` : 'missing subcommand';

  throw new UsageError(`${command}: ${what}`, { hint: `use one of: ${choices.join(', ')}` });
}
