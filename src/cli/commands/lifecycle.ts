/** `workbench start`, `stop`, `restart`: the workbench's lifecycle, through launchd when in use. */
import { UsageError } from '../../core/errors.js';
import { parseCommandArgs, printLine, type CliCommand } from '../command.js';

export const startCommand: CliCommand = {
  name: 'start',
  summary: 'start the workbench (through the login agent when it is enabled)',
  help: [
    'Usage: workbench start [--wait]',
    '',
    'Makes sure the container system service runs (installing the recommended kernel on a first',
    'start), then starts the workbench container. When the login agent is enabled the start goes',
    'through launchd, which then keeps the workbench alive.',
    '',
    'Options:',
    '  --wait   also wait until the runtime and the bridge are both running and healthy',
  ].join('\n'),
  async run(context, args) {
    const { values } = parseCommandArgs('start', args, { wait: { type: 'boolean' } });
    const outcome = await context.workbench().start({ wait: values.wait === true });
    printLine(context, outcome.message);
    printLine(context, outcome.status.summary);

    return 0;
  },
};

export const stopCommand: CliCommand = {
  name: 'stop',
  summary: 'stop the workbench; the login agent stays enabled for the next login',
  help: [
    'Usage: workbench stop',
    '',
    'Stops the workbench container. When the login agent is loaded it is unloaded first, so',
    'launchd does not bring the workbench back; it loads again at the next login.',
  ].join('\n'),
  async run(context, args) {
    parseCommandArgs('stop', args, {});
    const outcome = await context.workbench().stop();
    printLine(context, outcome.message);

    return 0;
  },
};

export const restartCommand: CliCommand = {
  name: 'restart',
  summary: 'stop, then start the workbench by the same route',
  help: [
    'Usage: workbench restart [--wait]',
    '',
    'Stops the workbench and starts it again, through the login agent when it was running that',
    'way. Use it after changing an env file.',
    '',
    'Options:',
    '  --wait   also wait until both services are running and healthy',
  ].join('\n'),
  async run(context, args) {
    const { values } = parseCommandArgs('restart', args, { wait: { type: 'boolean' } });
    const outcome = await context.workbench().restart({ wait: values.wait === true });
    printLine(context, outcome.message);
    printLine(context, outcome.status.summary);

    return 0;
  },
};

export const logsCommand: CliCommand = {
  name: 'logs',
  summary: "print the container's output, or the supervisor's log",
  help: [
    'Usage: workbench logs [-n N] [--supervisor]',
    '',
    "Prints the last lines of the workbench container's output (the supervisor, the runtime and",
    "the bridge), or with --supervisor the supervisor's own log file.",
    '',
    'Options:',
    '  -n, --lines N    how many lines (default 100)',
    "  --supervisor     the supervisor's log in the status folder instead",
  ].join('\n'),
  async run(context, args) {
    const { values } = parseCommandArgs('logs', args, {
      lines: { type: 'string', short: 'n' },
      supervisor: { type: 'boolean' },
    });
    const lines = parseLineCount(values.lines);
    const text = await context
      .workbench()
      .readLogs({ lines, supervisor: values.supervisor === true });
    context.stdout.write(text);

    return 0;
  },
};

function parseLineCount(raw: string | boolean | undefined): number {
  if (raw === undefined) return 100;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 100_000) {
    throw new UsageError(
      `logs: -n must be a whole number from 1 to 100000, got ${JSON.stringify(raw)}`,
    );
  }

  return count;
}
