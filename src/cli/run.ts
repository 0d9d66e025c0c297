/**
 * Dispatch of the `workbench` command: help, version, the subcommands, and the one place that
 * turns errors into what the user sees. Exit status 0 on success, 1 on failure (a `workbench: `
 * line on stderr), 2 on a usage error.
 */
import { describeError, UsageError, WorkbenchError } from '../core/errors.js';
import { Workbench } from '../core/workbench.js';
import { COMMANDS } from './commands/index.js';
import type { CliCommand, CliContext } from './command.js';

const VERSION = '0.1.0';

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const rows = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);

  return [
    'Usage: workbench <command> [options]',
    '',
    'Runs and watches the CodeWhale workbench container on this Mac.',
    '',
    'Commands:',
    ...rows,
    '',
    'Run `workbench <command> --help` for the options of a command.',
  ].join('\n');
}

function findCommand(name: string): CliCommand {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command) return command;

  throw new UsageError(`unknown command ${JSON.stringify(name)}`, {
    hint: 'run `workbench --help` for the list',
  });
}

function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** Runs one invocation and resolves to its exit status; never throws. */
export async function runCli(argv: string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? args[0] : undefined;
      context.stdout.write(`${topic ? findCommand(topic).help : overview()}\n`);
      return 0;
    }
    if (name === '--version' || name === '-V') {
      context.stdout.write(`workbench ${VERSION}\n`);
      return 0;
    }
    const command = findCommand(name);
    if (wantsHelp(args)) {
      context.stdout.write(`${command.help}\n`);
      return 0;
    }

    return await command.run(context, args);
  } catch (error) {
    return reportError(context, error);
  }
}

/** Prints an error as `workbench: <message>` plus its fix; a stack only for unexpected errors. */
function reportError(context: CliContext, error: unknown): number {
  if (error instanceof UsageError) {
    context.stderr.write(`workbench: ${error.message}\n`);
    if (error.hint) context.stderr.write(`  ${error.hint}\n`);
    return 2;
  }
  if (error instanceof WorkbenchError) {
    context.stderr.write(`workbench: ${error.message}\n`);
    if (error.hint) context.stderr.write(`  ${error.hint}\n`);
    return 1;
  }
  context.stderr.write(`workbench: unexpected error: ${describeError(error)}\n`);
  if (context.env.WORKBENCH_DEBUG && error instanceof Error && error.stack)
    context.stderr.write(`${error.stack}\n`);

  return 1;
}

/** The context of a real process: its streams and environment. */
export function processContext(): CliContext {
  let workbench: Workbench | undefined;

  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    workbench: () => (workbench ??= new Workbench({ env: process.env, agentProgram: 'cli' })),
  };
}
